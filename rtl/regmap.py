"""The accelerator's register and memory map, defined once.

Everything a bus master needs (addresses, fields, access, reset values, error causes, buffer
windows) lives in this module. ``docs/registers.md`` and ``runtime/include/bittern_regs.h`` are
generated from it (``python -m bittern.rtl.regmap``) and the RTL (``rtl/accelerator.py``) decodes
the same constants, so no address is ever copied by hand.

All addresses are **byte** addresses of 32-bit words (the Wishbone target takes word addresses,
``adr = byte_address >> 2``; the SPI bridge sends byte addresses). Reads of unmapped addresses
return 0 and set the ``BAD_ADDRESS`` error.
"""

from dataclasses import dataclass, field
from enum import IntEnum

__all__ = ["Field", "Register", "Window", "Cause", "REGISTERS", "WINDOWS", "DESC_BASE",
           "DESC_STRIDE", "DESC_WORDS", "MAX_LAYERS", "ADDR_BITS", "ID_VALUE", "VERSION",
           "reg", "field_of", "fields_of", "pack", "unpack", "desc_addr", "generate_markdown",
           "generate_c_header", "write_generated"]

ID_VALUE = 0x41525442       # "BTRA" little-endian: identifies a bittern accelerator
VERSION = 2                 # bumped only on incompatible map changes (2: 16-word descriptors)
ADDR_BITS = 20              # byte address space: 1 MiB
MAX_LAYERS = 16
DESC_BASE = 0x100
DESC_WORDS = 16
DESC_STRIDE = DESC_WORDS * 4


class Cause(IntEnum):
    """Error causes, reported in ``STATUS.CAUSE`` (the first error wins until cleared)."""
    NONE = 0
    START_WHILE_BUSY = 1      # CTRL.START written while STATUS.BUSY
    UNSUPPORTED_LAYER = 2     # descriptor kind/encodings not implemented in hardware
    WBUF_OVERFLOW = 3         # a layer's weights run past the weight buffer
    ABUF_OVERFLOW = 4         # a layer's input or output runs past the activation buffer
    TBUF_OVERFLOW = 5         # a layer's thresholds run past the threshold buffer
    SBUF_OVERFLOW = 6         # the scores run past the score buffer
    BAD_LAYER_COUNT = 7       # N_LAYERS is 0 or more than MAX_LAYERS
    BAD_SHAPE = 8             # IN_FEATURES or OUT_FEATURES is 0
    BAD_ADDRESS = 9           # bus access to an unmapped address or a read-only register write
    BUS_WHILE_BUSY = 10       # buffer or descriptor write while a run is in progress
    SCORES_NOT_LAST = 11      # a scores layer before the last, or a last layer without scores
    CONV_KERNEL = 12          # conv kernel 0, above 5, or larger than the padded input
    CONV_STRIDE_PAD = 13      # conv stride not 1..2, or pad not below the kernel
    CONV_POOL = 14            # conv pool not 1..4, or larger than the conv output map
    CONV_SHAPE = 15           # conv input map 0, or OUT_H/OUT_W not the pooled conv output
    BAD_PLANES = 16           # D_PLANES: more weight or activation planes than the build runs
    BAD_PLANE_SHIFT = 17      # D_PLANES/D_PLANES2: a pass shift or score shift above the build's
    CONV_PLANES = 18          # a conv's D_PLANES do not match its input (u8: 8 planes, binary: 1)
    # 20..23: sparse (3PXNet) layers
    BAD_PACKS = 20            # PACKS is 0 or larger than the layer's input words, or N % 32 != 0
    IBUF_OVERFLOW = 21        # a sparse layer's pack indices run past the index buffer
    BAD_PACK_INDEX = 22       # a pack index at or past the layer's input words (found while running)
    SPARSE_STORE_OVERFLOW = 23  # a sparse layer's input is longer than the build's column word store


CAUSE_DOC = {
    Cause.NONE: "no error",
    Cause.START_WHILE_BUSY: "`CTRL.START` written while `STATUS.BUSY` is set; the run in progress continues",
    Cause.UNSUPPORTED_LAYER: "a descriptor's kind or encodings are not implemented (only dense, binary "
                             "input, binary weights, binary or scores output); the run stops before it",
    Cause.WBUF_OVERFLOW: "a layer's weights would run past the end of the weight buffer",
    Cause.ABUF_OVERFLOW: "a layer's input or output vector would run past the activation buffer",
    Cause.TBUF_OVERFLOW: "a layer's thresholds would run past the threshold buffer",
    Cause.SBUF_OVERFLOW: "the last layer's scores would run past the score buffer",
    Cause.BAD_LAYER_COUNT: "`N_LAYERS` is 0 or larger than `MAX_LAYERS`",
    Cause.BAD_SHAPE: "`IN_FEATURES` or `OUT_FEATURES` of a descriptor is 0",
    Cause.BAD_ADDRESS: "bus access to an unmapped address, or a write to a read-only register",
    Cause.BUS_WHILE_BUSY: "a buffer or descriptor write while `STATUS.BUSY`; the write is dropped",
    Cause.SCORES_NOT_LAST: "a scores (`out_enc`=0) layer is not the last one, or the last one is not scores",
    Cause.CONV_KERNEL: "a conv descriptor's `KERNEL` is 0, above 5, or larger than the padded input "
                       "(`IN_H + 2*PAD` or `IN_W + 2*PAD`)",
    Cause.CONV_STRIDE_PAD: "a conv descriptor's `STRIDE` is not 1..2, or its `PAD` is not below `KERNEL`",
    Cause.CONV_POOL: "a conv descriptor's `POOL` is not 1..4, or the pool is larger than the conv "
                     "output map",
    Cause.CONV_SHAPE: "a conv descriptor's `IN_H`/`IN_W` is 0, or `OUT_H`/`OUT_W` is not the pooled "
                      "conv output size `((IN + 2*PAD - KERNEL) // STRIDE + 1) // POOL`",
    Cause.BAD_PLANES: "a descriptor's `D_PLANES` asks for more weight or activation planes than "
                      "this build runs (`FEATURES.PLANES` clear: any planes field non-zero)",
    Cause.BAD_PLANE_SHIFT: "a pass shift (`D_PLANES2` + activation step) or `SCORE_SHIFT` above "
                           "what this build's accumulators hold",
    Cause.CONV_PLANES: "a conv descriptor's `D_PLANES` do not match its input encoding (a `u8` "
                       "conv needs `A_PLANES_M1` = 7 with `A_STEP`, a binary conv one weight and one "
                       "activation plane): its padding taps would not be zero pixels",
    Cause.BAD_PACKS: "a sparse layer's `D_SPARSE.PACKS` is 0 or more than its input words, or its "
                     "`IN_FEATURES` is not a multiple of 32",
    Cause.IBUF_OVERFLOW: "a sparse layer's pack indices would run past the index buffer",
    Cause.BAD_PACK_INDEX: "a sparse layer met a pack index at or past its input words (the index "
                          "buffer holds a bad value); the run stops at that layer",
    Cause.SPARSE_STORE_OVERFLOW: "a sparse layer's input has more words than this build's column "
                                 "word store (`FEATURES.SPARSE_WORDS`)",
}


@dataclass(frozen=True)
class Field:
    name: str
    lsb: int
    width: int
    doc: str

    @property
    def mask(self):
        return ((1 << self.width) - 1) << self.lsb


@dataclass(frozen=True)
class Register:
    name: str
    offset: int
    access: str             # "RO", "RW", "WO" (WO fields are strobes and read as 0)
    reset: int
    doc: str
    fields: tuple = field(default_factory=tuple)


@dataclass(frozen=True)
class Window:
    name: str
    base: int
    size: int               # bytes of address space reserved; the buffer's depth is in a CFG register
    doc: str


REGISTERS = (
    Register("ID", 0x000, "RO", ID_VALUE, "Identification: the bytes `BTRA`."),
    Register("VERSION", 0x004, "RO", VERSION, "Register map version."),
    Register("CONFIG", 0x008, "RO", 0, "Array geometry of this build (reset value depends on the build).", (
        Field("ROWS", 0, 8, "output channels per tile (array rows)"),
        Field("COLS", 8, 8, "input vectors per batch (array columns)"),
        Field("LANES", 16, 8, "bits per PE word (32)"),
    )),
    Register("WBUF_DEPTH", 0x00C, "RO", 0, "Weight buffer depth in words per row bank."),
    Register("ABUF_DEPTH", 0x010, "RO", 0, "Activation buffer depth in words per column bank."),
    Register("TBUF_DEPTH", 0x014, "RO", 0, "Threshold buffer depth in entries per row bank."),
    Register("SBUF_DEPTH", 0x018, "RO", 0, "Score buffer depth in 32-bit words per row bank."),
    Register("MODEL_TAG", 0x01C, "RW", 0, "Identity of the programmed model, kept for the driver: it "
             "writes 0 before programming and the model's tag (a CRC of the model file's header, "
             "which holds its size and CRC, and of this geometry) after, so a reset (0) or another "
             "host's model is seen with one read. The hardware only stores it. (At 0x01C, after the "
             "depths, so that the SPI bridge's look-ahead read after a burst of ID..SBUF_DEPTH "
             "lands on a register.)"),
    Register("CTRL", 0x020, "WO", 0, "Control strobes (write 1 to act; reads 0).", (
        Field("START", 0, 1, "run layers 0..N_LAYERS-1 on the batch in the activation buffer; "
              "clears DONE, ERROR, CAUSE and the PERF counters"),
        Field("CLEAR", 1, 1, "clear STATUS.DONE, STATUS.ERROR and STATUS.CAUSE"),
    )),
    Register("STATUS", 0x024, "RO", 0, "Run state and the first error since the last CLEAR.", (
        Field("BUSY", 0, 1, "a run is in progress"),
        Field("DONE", 1, 1, "the last run finished (set with ERROR when a run stops early)"),
        Field("ERROR", 2, 1, "an error occurred; CAUSE says which"),
        Field("CAUSE", 8, 6, "error cause (see the table of causes)"),
        Field("LAYER", 16, 4, "layer being run, or the layer whose descriptor caused the error"),
    )),
    Register("N_LAYERS", 0x028, "RW", 0, "Number of layer descriptors to run (1..MAX_LAYERS)."),
    Register("FEATURES", 0x02C, "RO", 0, "Optional layer kinds this build has (reset value depends on "
             "the build): a descriptor of a kind the build lacks stops the run with "
             "UNSUPPORTED_LAYER, and the driver runs that layer in software.", (
        Field("SPARSE", 0, 1, "3PXNet sparse layers (`W_ENC` 3, op SPARSE_XNOR) on the sparse array"),
        Field("CONV", 1, 1, "conv2d, binary x binary (op CONV_XNOR)"),
        Field("PLANES", 2, 1, "multi-bit dense layers as binary passes (ops DENSE_PLANES_*)"),
        Field("SPARSE_WORDS", 4, 12, "input words per column of the sparse array's word store "
              "(the longest sparse layer input, in 32-bit words; 0 without SPARSE)"),
    )),
    Register("PERF_CYCLES", 0x030, "RO", 0, "Clock cycles spent busy in the last run (cleared by START)."),
    Register("PERF_ACTIVE", 0x034, "RO", 0, "Cycles in which the array consumed a weight/activation word "
             "(every PE active); utilisation = PERF_ACTIVE / PERF_CYCLES."),
    Register("PERF_TILES", 0x038, "RO", 0, "Output tiles computed in the last run."),
    Register("IBUF_DEPTH", 0x03C, "RO", 0, "Pack-index buffer depth in words per row bank (0 "
             "without `FEATURES.SPARSE`)."),
)

# Descriptor i occupies DESC_BASE + i*DESC_STRIDE .. + DESC_STRIDE-1.
DESCRIPTOR = (
    Register("D_CFG", 0x00, "RW", 0, "Layer kind and encodings, with the model file's enum values.", (
        Field("KIND", 0, 4, "1 dense (2 conv2d: unsupported)"),
        Field("IN_ENC", 4, 4, "1 binary (others unsupported)"),
        Field("W_ENC", 8, 4, "1 binary (others unsupported)"),
        Field("OUT_ENC", 12, 4, "1 binary (via thresholds) or 0 scores (last layer only)"),
    )),
    Register("D_IN_FEATURES", 0x04, "RW", 0, "Input features N (>= 1); the layer reads ceil(N/32) words."),
    Register("D_OUT_FEATURES", 0x08, "RW", 0, "Output features M (>= 1)."),
    Register("D_W_BASE", 0x0C, "RW", 0, "First weight-bank word of the layer (same in every row bank)."),
    Register("D_A_IN", 0x10, "RW", 0, "First activation-bank word of the input vector."),
    Register("D_A_OUT", 0x14, "RW", 0, "First activation-bank word of the output (binary output: "
             "channel m is bit m%32 of word A_OUT + m//32), or, for the scores layer, the first "
             "score-bank word (class m of input c: row bank m%ROWS, word A_OUT + (m//ROWS)*COLS + c)."),
    Register("D_T_BASE", 0x18, "RW", 0, "First threshold-bank word of the layer (binary output only): "
             "channel m of the layer is threshold entry T_BASE*ROWS + m."),
    # conv2d (KIND 2): IN_FEATURES / OUT_FEATURES are the channel counts C_in / C_out; all
    # three words are 0 for a dense layer ("no conv").
    Register("D_CONV_IN", 0x1C, "RW", 0, "conv2d input map (0 for dense). Input pixel (y, x) "
             "holds ceil(C_in/32) words of its own from activation word "
             "A_IN + (y*IN_W + x)*ceil(C_in/32) (HWC, the channel vector padded per pixel).", (
        Field("IN_H", 0, 8, "input rows (1..255)"),
        Field("IN_W", 8, 8, "input columns (1..255)"),
    )),
    Register("D_CONV_GEOM", 0x20, "RW", 0, "conv2d kernel, stride, zero padding and max-pool "
             "(0 for dense). Padding taps contribute 0 to the sum and to N (docs/numerics.md).", (
        Field("KERNEL", 0, 3, "kernel size K (1..5, at most IN + 2*PAD)"),
        Field("STRIDE", 4, 2, "stride (1..2)"),
        Field("PAD", 8, 3, "zero padding on every side (0..K-1)"),
        Field("POOL", 12, 3, "max-pool size = stride (1..4; 1: no pool), taken before the threshold"),
    )),
    Register("D_CONV_OUT", 0x24, "RW", 0, "conv2d output map after the pool (0 for dense); binary "
             "output pixel (y, x) holds ceil(C_out/32) words from A_OUT + (y*OUT_W + x)*ceil(C_out/32) "
             "(HWC, as the input). The hardware checks it against the geometry.", (
        Field("OUT_H", 0, 8, "pooled output rows ((IN_H + 2*PAD - K) // STRIDE + 1) // POOL"),
        Field("OUT_W", 8, 8, "pooled output columns, the same with IN_W"),
        Field("FLAT", 16, 1, "binary output packed as one flattened HWC vector, channel c of pixel "
              "(y, x) at bit (y*OUT_W + x)*C_out + c from A_OUT (pad bits only at its end: the "
              "input of a following dense layer, docs/numerics.md); needs C_out a multiple of ROWS"),
    )),
    Register("D_PLANES", 0x28, "RW", 0, "Binary passes of a multi-bit layer (planes builds, "
             "`rtl/ops/dense_planes.py`; 0: one pass, as a binary layer). Every output tile runs "
             "Pw x Pa passes over the reduction words: weight plane p of tile t at W_BASE + "
             "(t*Pw + p)*W + k, activation plane q at A_IN + q*W + k, and the array accumulates "
             "the pass's mismatches shifted by WSHIFT[p] + (A_STEP ? q : 0).", (
        Field("W_PLANES_M1", 0, 4, "weight planes Pw - 1"),
        Field("A_PLANES_M1", 4, 4, "activation planes Pa - 1"),
        Field("A_STEP", 8, 1, "activation plane q is shifted by q (u8 bit planes)"),
        Field("SCORE_SHIFT", 12, 2, "scores layer: score = (acc + offset) >> SCORE_SHIFT, the "
              "offset (int32) in the layer's threshold entry of the class"),
    )),
    Register("D_PLANES2", 0x2C, "RW", 0, "Shift of weight plane p in bits 4p+3..4p (planes 0..7)."),
    Register("D_SPARSE", 0x30, "RW", 0, "Sparse (3PXNet, `W_ENC` 3) layers only; 0 otherwise.", (
        Field("PACKS", 0, 12, "kept packs P per output channel (1 .. ceil(N/32)); the layer's "
              "weight words are P per tile: kept word q of channel m = t*ROWS+r is bank r, word "
              "W_BASE + t*P + q"),
    )),
    Register("D_SPARSE2", 0x34, "RW", 0, "Sparse layers only: first index-bank word of the layer "
             "(`IBUF`): the input word of kept pack q of channel m = t*ROWS+r is index bank r, "
             "word I_BASE + t*P + q.", (
        Field("I_BASE", 0, 16, "first index-bank word"),
    )),
    Register("D_RESERVED0", 0x38, "RW", 0, "Reserved; write 0."),
    Register("D_RESERVED1", 0x3C, "RW", 0, "Reserved; write 0."),
)

WINDOWS = (
    Window("WBUF", 0x40000, 0x40000, "Weight buffer. Window word j is word j//ROWS of row bank j%ROWS. "
           "Weight word k of output channel m = t*ROWS+r of a layer goes to bank r, bank word "
           "W_BASE + t*ceil(N/32) + k."),
    Window("ABUF", 0x80000, 0x20000, "Activation buffer. Window word j is word j//COLS of column bank "
           "j%COLS: input vector c, word k goes to window word (A_IN+k)*COLS + c."),
    Window("TBUF", 0xA0000, 0x20000, "Threshold buffer, two words per entry e: word 2e is the threshold "
           "T (int32), word 2e+1 bit 0 is 1 for direction d = -1 (output +1 when acc <= T, else when "
           "acc >= T). Entry e is word e//ROWS of row bank e%ROWS; channel m of a layer is entry "
           "T_BASE*ROWS + m."),
    Window("SBUF", 0xC0000, 0x20000, "Score buffer (read-only from the bus): int32 class scores. Window "
           "word j is word j//ROWS of row bank j%ROWS: class m of input c is window word "
           "(A_OUT + (m//ROWS)*COLS + c)*ROWS + m%ROWS."),
    Window("IBUF", 0xE0000, 0x20000, "Pack-index buffer of sparse layers (builds with "
           "`FEATURES.SPARSE`): bits 15:0 of a word are a pack's input word index. Window word j "
           "is word j//ROWS of row bank j%ROWS (see `D_SPARSE2`)."),
)

_BY_NAME = {r.name: r for r in REGISTERS}
# Descriptor register name -> word index inside a descriptor.
DESCRIPTOR_WORD = {r.name: r.offset // 4 for r in DESCRIPTOR}


def reg(name):
    """The :class:`Register` called ``name`` (KeyError names it)."""
    return _BY_NAME[name]


def field_of(reg_name, field_name):
    for f in fields_of(reg_name):
        if f.name == field_name:
            return f
    raise KeyError(f"{reg_name} has no field {field_name}")


def fields_of(reg_name):
    """The fields of register or descriptor register ``reg_name``."""
    return (_BY_NAME.get(reg_name) or {r.name: r for r in DESCRIPTOR}[reg_name]).fields


def pack(reg_name, **values):
    """The word of register ``reg_name`` with its fields set to ``values`` (others 0)."""
    word = 0
    by_name = {f.name: f for f in fields_of(reg_name)}
    for name, v in values.items():
        f = by_name.get(name)
        if f is None:
            raise KeyError(f"{reg_name} has no field {name}")
        if not 0 <= int(v) < 1 << f.width:
            raise ValueError(f"{reg_name}.{name} is {f.width} bits wide, {v} does not fit")
        word |= int(v) << f.lsb
    return word


def unpack(reg_name, word):
    """Field name -> value of the word of register ``reg_name``."""
    return {f.name: (int(word) & f.mask) >> f.lsb for f in fields_of(reg_name)}


def desc_addr(layer, name):
    """Byte address of descriptor register ``name`` of layer ``layer``."""
    if not 0 <= layer < MAX_LAYERS:
        raise ValueError(f"layer must be 0..{MAX_LAYERS - 1}, not {layer}")
    return DESC_BASE + layer * DESC_STRIDE + {r.name: r for r in DESCRIPTOR}[name].offset


def window(name):
    return {w.name: w for w in WINDOWS}[name]


# ---- generators ---------------------------------------------------------------------------

def generate_markdown():
    out = ["# Accelerator register map",
           "",
           "Generated from `rtl/regmap.py` by `python -m bittern.rtl.regmap`; do not edit by hand.",
           "Byte addresses of 32-bit words (Wishbone `adr` = byte address >> 2).",
           f"Map version {VERSION}; `ID` reads `0x{ID_VALUE:08X}`.",
           "",
           "## Registers",
           "",
           "| offset | name | access | reset | description |",
           "| --- | --- | --- | --- | --- |"]
    for r in REGISTERS:
        out.append(f"| `0x{r.offset:03X}` | `{r.name}` | {r.access} | `0x{r.reset:X}` | {r.doc} |")
    out += ["", "### Fields", "", "| register | field | bits | description |", "| --- | --- | --- | --- |"]
    for r in REGISTERS + DESCRIPTOR:
        for f in r.fields:
            bits = f"{f.lsb + f.width - 1}:{f.lsb}" if f.width > 1 else f"{f.lsb}"
            out.append(f"| `{r.name}` | `{f.name}` | {bits} | {f.doc} |")
    out += ["", "## Layer descriptors", "",
            f"{MAX_LAYERS} descriptors of {DESC_WORDS} words; descriptor `i` starts at "
            f"`0x{DESC_BASE:03X} + i*0x{DESC_STRIDE:X}`.", "",
            "| offset | name | description |", "| --- | --- | --- |"]
    for r in DESCRIPTOR:
        out.append(f"| `+0x{r.offset:02X}` | `{r.name}` | {r.doc} |")
    out += ["", "## Buffer windows", "", "| base | size | name | description |", "| --- | --- | --- | --- |"]
    for w in WINDOWS:
        out.append(f"| `0x{w.base:05X}` | `0x{w.size:X}` | `{w.name}` | {w.doc} |")
    out += ["", "## Error causes (`STATUS.CAUSE`)", "", "| value | name | meaning |", "| --- | --- | --- |"]
    for c in Cause:
        out.append(f"| {int(c)} | `{c.name}` | {CAUSE_DOC[c]} |")
    return "\n".join(out) + "\n"


def generate_c_header():
    p = "BT_ACC_"
    out = ["/* Generated from rtl/regmap.py by `python -m bittern.rtl.regmap`; do not edit. */",
           "#ifndef BITTERN_REGS_H", "#define BITTERN_REGS_H", "",
           "#include <stdint.h>  /* BT_ACC_DESC() casts to uint32_t */", "",
           f"#define {p}ID_VALUE 0x{ID_VALUE:08X}u",
           f"#define {p}MAP_VERSION {VERSION}u",
           f"#define {p}ADDR_BITS {ADDR_BITS}u",
           f"#define {p}MAX_LAYERS {MAX_LAYERS}u",
           f"#define {p}DESC_BASE 0x{DESC_BASE:03X}u",
           f"#define {p}DESC_STRIDE 0x{DESC_STRIDE:02X}u",
           f"#define {p}DESC_WORDS {DESC_WORDS}u",
           f"#define {p}DESC(i, reg) ({p}DESC_BASE + (uint32_t)(i) * {p}DESC_STRIDE + (reg))", "",
           "/* Registers (byte offsets) */"]
    for r in REGISTERS:
        out.append(f"#define {p}{r.name} 0x{r.offset:03X}u  /* {r.access} */")
        for f in r.fields:
            out.append(f"#define {p}{r.name}_{f.name}_SHIFT {f.lsb}u")
            out.append(f"#define {p}{r.name}_{f.name}_MASK 0x{f.mask:08X}u")
    out += ["", "/* Descriptor registers (offsets inside one descriptor) */"]
    for r in DESCRIPTOR:
        out.append(f"#define {p}{r.name} 0x{r.offset:02X}u")
        for f in r.fields:
            out.append(f"#define {p}{r.name}_{f.name}_SHIFT {f.lsb}u")
            out.append(f"#define {p}{r.name}_{f.name}_MASK 0x{f.mask:08X}u")
    out += ["", "/* Buffer windows (byte base addresses and sizes) */"]
    for w in WINDOWS:
        out.append(f"#define {p}{w.name}_BASE 0x{w.base:05X}u")
        out.append(f"#define {p}{w.name}_SIZE 0x{w.size:05X}u")
    out += ["", "/* Window word indices (byte address = window base + 4 * index) */",
            f"#define {p}WBUF_INDEX(rows, w_base, words, m, k) "
            "(((w_base) + ((m) / (rows)) * (words) + (k)) * (rows) + (m) % (rows))",
            f"#define {p}ABUF_INDEX(cols, a, k, c) (((a) + (k)) * (cols) + (c))",
            f"#define {p}TBUF_ENTRY(rows, t_base, m) ((t_base) * (rows) + (m))",
            f"#define {p}IBUF_INDEX(rows, i_base, packs, m, q) "
            "(((i_base) + ((m) / (rows)) * (packs) + (q)) * (rows) + (m) % (rows))",
            f"#define {p}SBUF_INDEX(rows, cols, a_out, m, c) "
            "(((a_out) + ((m) / (rows)) * (cols) + (c)) * (rows) + (m) % (rows))"]
    out += ["", "/* Error causes (STATUS.CAUSE) */"]
    for c in Cause:
        out.append(f"#define {p}CAUSE_{c.name} {int(c)}u")
    out += ["", "#endif /* BITTERN_REGS_H */", ""]
    return "\n".join(out)


def write_generated(root):
    """Write docs/registers.md and runtime/include/bittern_regs.h under the checkout ``root``."""
    from pathlib import Path
    root = Path(root)
    (root / "docs").mkdir(exist_ok=True)
    (root / "runtime" / "include").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "registers.md").write_text(generate_markdown())
    (root / "runtime" / "include" / "bittern_regs.h").write_text(generate_c_header())


if __name__ == "__main__":
    import sys
    from pathlib import Path
    write_generated(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent)
