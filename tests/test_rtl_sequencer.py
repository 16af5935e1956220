"""The sequencer's descriptor decoder on its own (Amaranth simulator, with a real BlockRAM as
the descriptor memory): derived loop bounds and one descriptor per error cause."""

from bittern.rtl import regmap as rm
from bittern.sim.decoder_bench import decode_each

ROWS, COLS = 4, 2
DEPTHS = dict(w_depth=64, a_depth=16, t_depth=8, s_depth=8)


def _desc(n_in=70, n_out=10, w_base=0, a_in=0, a_out=4, t_base=0, kind=1, w_enc=1, out_enc=1):
    return [rm.pack("D_CFG", KIND=kind, IN_ENC=1, W_ENC=w_enc, OUT_ENC=out_enc),
            n_in, n_out, w_base, a_in, a_out, t_base]


CASES = [   # (descriptor, n_layers, cause)
    (_desc(), 2, rm.Cause.NONE),
    (_desc(kind=2), 2, rm.Cause.UNSUPPORTED_LAYER),
    (_desc(w_enc=2), 2, rm.Cause.UNSUPPORTED_LAYER),
    (_desc(n_in=0), 2, rm.Cause.BAD_SHAPE),
    (_desc(n_out=0x10000), 2, rm.Cause.BAD_SHAPE),
    (_desc(out_enc=0, a_out=0), 2, rm.Cause.SCORES_NOT_LAST),
    (_desc(), 1, rm.Cause.SCORES_NOT_LAST),
    (_desc(w_base=60), 2, rm.Cause.WBUF_OVERFLOW),          # 3 tiles x 3 words = 9 > 64 - 60
    (_desc(a_in=14), 2, rm.Cause.ABUF_OVERFLOW),            # 3 input words from 14 > 16
    (_desc(t_base=6), 2, rm.Cause.TBUF_OVERFLOW),           # 3 tiles from 6 > 8
    (_desc(out_enc=0, a_out=3), 1, rm.Cause.SBUF_OVERFLOW), # 3 tiles x 2 cols from 3 > 8
]


def test_decoder_bounds_and_causes():
    def read(ctx, dec):
        f = dec.fields
        return (ctx.get(dec.bad), ctx.get(dec.cause), ctx.get(dec.layer), ctx.get(f.words_m1),
                ctx.get(f.tiles), ctx.get(f.last_keep), ctx.get(f.scores), ctx.get(f.is_last))

    seen = decode_each([(words, n) for words, n, _ in CASES], rows=ROWS, cols=COLS,
                       depths=DEPTHS, read=read, max_cycles=60)
    for (words, n_layers, cause), (bad, got, layer, words_m1, tiles, keep, scores, last) in \
            zip(CASES, seen):
        assert (bad, got, layer) == (cause != rm.Cause.NONE, cause, 0), (words, n_layers)
    # 70 inputs: 3 words; 10 outputs on 4 rows: 3 tiles, the last with rows 0 and 1.
    assert seen[0][3:] == (2, 3, 0b0011, 0, 0)
    assert seen[6][7] == 1 and seen[5][6] == 1
