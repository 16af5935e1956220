// The top of the Verilator replay harness (bt_replay.cpp): the accelerator BT_TOP with its reset
// taken from a register instead of straight from the `rst` input.
//
// Why: Verilator evaluates every piece of combinational logic that reads a top-level input
// each time eval() is called (its "ico" region, twice per clock cycle), and Amaranth's
// synchronous reset reads `rst` in every register's next-state logic, so with `rst` as an
// input the whole design's next state was computed three times per cycle instead of once.
// Behind this register only the Wishbone decode still reads inputs. The harness raises `rst`
// one cycle earlier to compensate (see reset() there): the accelerator sees reset on the same
// clock edges and every transaction starts on the same cycle as before.
module bt_replay_top (
    input clk,
    input rst,
    input [`BT_AW-1:0] bus__adr,
    input [31:0] bus__dat_w,
    input [3:0] bus__sel,
    input bus__cyc,
    input bus__stb,
    input bus__we,
    output [31:0] bus__dat_r,
    output bus__ack,
    output bus__err,
    output irq
);
    reg rst_q = 1'b1;
    always @(posedge clk) rst_q <= rst;

    `BT_TOP dut (
        .clk(clk), .rst(rst_q),
        .bus__adr(bus__adr), .bus__dat_w(bus__dat_w), .bus__dat_r(bus__dat_r),
        .bus__sel(bus__sel), .bus__cyc(bus__cyc), .bus__stb(bus__stb), .bus__we(bus__we),
        .bus__ack(bus__ack), .bus__err(bus__err), .irq(irq)
    );
endmodule
