// Bus-transaction replay: the clock runs in the simulator, no Python per cycle.
//
// Drives the Wishbone B4 classic target (`bus__*` ports) of the accelerator top named by the
// macro BT_TOP (word address width BT_AW) from a transaction file, and writes what it reads to
// an output file. The host side is bittern.sim.replay, which writes the transactions and
// parses the results; this file knows nothing about models, only the bus and `irq`.
//
// Transactions: one per line, three hex numbers "op a b":
//   1 ADDR DATA  write DATA to byte address ADDR
//   2 ADDR 0     read byte address ADDR                 -> one output line: the word (hex)
//   3 MAX  0     wait until irq (STATUS.DONE) is high, at most MAX cycles
//                                                      -> one output line: "cycles timeout" (hex)
//   4 0    0     one idle cycle, then reset held for 3 cycles
//   0 0    0     end                                 -> "end CYCLES" (hex)
// Plusargs: +in=PATH +out=PATH, +waves=PATH (FST; Verilator needs a --trace-fst build).
`timescale 1ns/1ps
module bt_replay;
    reg clk = 1'b0;
    reg rst = 1'b1;
    reg [`BT_AW-1:0] adr = 0;
    reg [31:0] dat_w = 0;
    reg cyc = 1'b0, stb = 1'b0, we = 1'b0;
    wire [31:0] dat_r;
    wire ack, err, irq;

    `BT_TOP dut (
        .clk(clk), .rst(rst),
        .bus__adr(adr), .bus__dat_w(dat_w), .bus__dat_r(dat_r), .bus__sel(4'hF),
        .bus__cyc(cyc), .bus__stb(stb), .bus__we(we), .bus__ack(ack), .bus__err(err),
        .irq(irq)
    );

    always #5 clk = ~clk;

    reg [63:0] n_cycles = 0;         // clock cycles simulated, reported at the end
    always @(posedge clk) n_cycles <= n_cycles + 1;

    reg [8*1024-1:0] in_path, out_path, wave_path;
    integer fin, fout, n, k;
    reg [31:0] op, a, b, q, waited;
    reg done;

    // One access. Inputs change and outputs are sampled on the falling edge, when everything
    // the rising edge updated has settled; a missing ack stops the run (the target promises a
    // fixed latency, so that is a hardware bug, not a wait).
    task access(input [31:0] addr, input [31:0] data, input write);
        begin
            adr = addr[`BT_AW+1:2];
            dat_w = data;
            we = write;
            cyc = 1'b1;
            stb = 1'b1;
            k = 0;
            @(negedge clk);
            while (!ack) begin
                k = k + 1;
                if (k > 64) begin
                    $display("bt_replay: error: no Wishbone ack for address 0x%05h", addr);
                    $finish;
                end
                @(negedge clk);
            end
            q = dat_r;
            cyc = 1'b0;
            stb = 1'b0;
            we = 1'b0;
            // The target clears its in-flight flag on the edge after ack: wait for it, so the
            // next access starts from an idle target.
            @(negedge clk);
        end
    endtask

    initial begin
        if (!$value$plusargs("in=%s", in_path)) begin
            $display("bt_replay: error: no +in=PATH");
            $finish;
        end
        if (!$value$plusargs("out=%s", out_path)) begin
            $display("bt_replay: error: no +out=PATH");
            $finish;
        end
        if ($value$plusargs("waves=%s", wave_path)) begin
            $dumpfile(wave_path);
            $dumpvars(0, bt_replay);
        end
        fin = $fopen(in_path, "r");
        fout = $fopen(out_path, "w");
        if (fin == 0 || fout == 0) begin
            $display("bt_replay: error: cannot open %0s or %0s", in_path, out_path);
            $finish;
        end
        repeat (3) @(posedge clk);
        @(negedge clk);
        rst = 1'b0;
        done = 1'b0;
        while (!done) begin
            n = $fscanf(fin, "%h %h %h\n", op, a, b);
            if (n != 3) begin
                $display("bt_replay: error: bad transaction line (%0d fields)", n);
                done = 1'b1;
            end else if (op == 1) begin
                access(a, b, 1'b1);
            end else if (op == 2) begin
                access(a, 0, 1'b0);
                $fdisplay(fout, "%h", q);
            end else if (op == 3) begin
                waited = 0;
                while (!irq && waited < a) begin
                    @(negedge clk);
                    waited = waited + 1;
                end
                $fdisplay(fout, "%h %h", waited, !irq);
            end else if (op == 4) begin
                @(negedge clk);     // idle, as bt_replay.cpp's cycle for its reset register
                rst = 1'b1;
                repeat (3) @(negedge clk);
                rst = 1'b0;
            end else begin
                done = 1'b1;
            end
        end
        $fdisplay(fout, "end %h", n_cycles);
        $fclose(fout);
        $finish;
    end
endmodule
