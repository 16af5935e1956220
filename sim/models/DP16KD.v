// Behavioural model of the part of Lattice ECP5's DP16KD block RAM that bittern instantiates
// (rtl/bram.py): both ports in the same mode (x18, x9, x4, x2 or x1), WRITEMODE "NORMAL" (a write does not change the port's output),
// REGMODE "NOREG" or "OUTREG" (an output register enabled by OCE after the output latch),
// chip selects decoding to 0b000, resets tied low. Anything else stops the simulation, so the
// model cannot silently stand in for a configuration it does not describe.
// Source: Lattice TN1264 "ECP5 and ECP5-5G Memory Usage Guide", DP16KD section.
`timescale 1ns/1ps
module DP16KD (
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA, CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB, CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
  parameter DATA_WIDTH_A = 18;
  parameter DATA_WIDTH_B = 18;
  parameter REGMODE_A = "NOREG";
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";
  parameter ASYNC_RESET_RELEASE = "SYNC";
  parameter CSDECODE_A = "0b000";
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";
  parameter WRITEMODE_B = "NORMAL";
  parameter GSR = "DISABLED";

  // Port modes: 1024 x 18 (word address AD[13:4], AD[1:0] byte-write enables), 2048 x 9
  // (AD[13:3]), 4096 x 4 (AD[13:2]), 8192 x 2 (AD[13:1]), 16384 x 1 (AD[13:0]); data on the
  // low DATA_WIDTH bits of DI/DO. Both ports must use the same mode here.
  localparam W = DATA_WIDTH_A;
  localparam LSB = W == 18 ? 4 : W == 9 ? 3 : W == 4 ? 2 : W == 2 ? 1 : 0;
  localparam [17:0] MASK = (18'h1 << W) - 1;
  reg [17:0] mem [0:16383];
  reg [17:0] latch_a, latch_b, oreg_a, oreg_b;
  wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
  wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
  wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
  wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
  wire [13:0] wa = ada >> LSB;
  wire [13:0] wb = adb >> LSB;

  initial begin
    if ((W != 18 && W != 9 && W != 4 && W != 2 && W != 1) || DATA_WIDTH_B != W
        || WRITEMODE_A != "NORMAL" || WRITEMODE_B != "NORMAL"
        || CSDECODE_A != "0b000" || CSDECODE_B != "0b000"
        || (REGMODE_A != "NOREG" && REGMODE_A != "OUTREG") || (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG")) begin
      $display("DP16KD model: unsupported configuration");
      $finish;
    end
  end

  always @(posedge CLKA) begin
    if (CEA && WEA) begin
      if (W != 18) mem[wa] <= dia & MASK;
      else begin
        if (ada[0]) mem[wa][8:0] <= dia[8:0];
        if (ada[1]) mem[wa][17:9] <= dia[17:9];
      end
    end else if (CEA)
      latch_a <= mem[wa] & MASK;
    if (OCEA) oreg_a <= latch_a;
  end
  always @(posedge CLKB) begin
    if (CEB && WEB) begin
      if (W != 18) mem[wb] <= dib & MASK;
      else begin
        if (adb[0]) mem[wb][8:0] <= dib[8:0];
        if (adb[1]) mem[wb][17:9] <= dib[17:9];
      end
    end else if (CEB)
      latch_b <= mem[wb] & MASK;
    if (OCEB) oreg_b <= latch_b;
  end
  wire [17:0] doa = REGMODE_A == "OUTREG" ? oreg_a : latch_a;
  wire [17:0] dob = REGMODE_B == "OUTREG" ? oreg_b : latch_b;
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;
endmodule
