// Bus-transaction replay for Verilator: the C++ twin of bt_replay.v, with the clock in C++.
//
// Same transaction and result files as bt_replay.v (see there), same bus protocol: inputs
// change while the clock is low, outputs are sampled after the falling edge. Built with
// bt_replay_top.v (the accelerator behind a reset register) as the Verilated top (class Vdut)
// by bittern.sim.replay; no timing coroutines, so a cycle costs two evaluations of the model
// and nothing else (see half() for how they are called).
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <memory>
#include "Vdut.h"
#include "Vdut___024root.h"
#include "verilated.h"
#ifdef BT_WAVES
#include "verilated_fst_c.h"
#endif

// Verilator spells the design's `bus__adr` as `bus___05Fadr` ("__" is escaped).
#define BT_PORT(x) bus___05F##x

static std::unique_ptr<Vdut> top;
static uint64_t n_cycles = 0;
static uint64_t sim_time = 0;
#ifdef BT_WAVES
static VerilatedFstC *tfp = nullptr;
#endif

// The design's evaluation proper, which Vdut::eval() wraps (Verilator names it after --prefix).
void Vdut___024root___eval(Vdut___024root *vlSelf);

// One edge. After the first Vdut::eval() (the initial blocks) the harness calls the design's
// evaluation directly: eval() adds two mutex-guarded queue flushes per call (messages from
// other threads and deferred class deletions) that a single-threaded model without classes
// never fills, ~15 % of the run at 4x4. A Verilator that renames the function fails the build.
static void half(int clk) {
    top->clk = clk;
    Vdut___024root___eval(top->rootp);
#ifdef BT_WAVES
    if (tfp) tfp->dump(sim_time);
#endif
    sim_time += 5;
}

// One clock cycle: rising edge, then falling edge (inputs are set while the clock is low).
static inline void cycle() {
    half(1);
    half(0);
    n_cycles++;
}

// Reset held on 3 rising edges, `rst` high on entry. bt_replay_top.v registers `rst`, so it
// drops one cycle before the last reset edge: the first transaction starts on the same cycle
// as in bt_replay.v.
static void reset() {
    cycle();
    cycle();
    top->rst = 0;
    cycle();
}

static bool access(uint32_t addr, uint32_t data, bool write, uint32_t *q) {
    top->BT_PORT(adr) = addr >> 2;
    top->BT_PORT(dat_w) = data;
    top->BT_PORT(we) = write;
    top->BT_PORT(cyc) = 1;
    top->BT_PORT(stb) = 1;
    top->BT_PORT(sel) = 0xF;
    int k = 0;
    cycle();
    while (!top->BT_PORT(ack)) {
        if (++k > 64) {
            std::fprintf(stderr, "bt_replay: error: no Wishbone ack for address 0x%05x\n", addr);
            return false;
        }
        cycle();
    }
    *q = top->BT_PORT(dat_r);
    top->BT_PORT(cyc) = 0;
    top->BT_PORT(stb) = 0;
    top->BT_PORT(we) = 0;
    cycle();  // the target clears its in-flight flag on the edge after ack
    return true;
}

static const char *plusarg(int argc, char **argv, const char *name) {
    size_t n = std::strlen(name);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '+' && !std::strncmp(argv[i] + 1, name, n) && argv[i][1 + n] == '=')
            return argv[i] + 2 + n;
    return nullptr;
}

int main(int argc, char **argv) {
    const char *in = plusarg(argc, argv, "in"), *out = plusarg(argc, argv, "out");
    if (!in || !out) {
        std::fprintf(stderr, "bt_replay: error: need +in=PATH and +out=PATH\n");
        return 2;
    }
    FILE *fin = std::fopen(in, "r"), *fout = std::fopen(out, "w");
    if (!fin || !fout) {
        std::fprintf(stderr, "bt_replay: error: cannot open %s or %s\n", in, out);
        return 2;
    }
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    top = std::make_unique<Vdut>(ctx.get());
#ifdef BT_WAVES
    if (const char *w = plusarg(argc, argv, "waves")) {
        ctx->traceEverOn(true);
        tfp = new VerilatedFstC;
        top->trace(tfp, 99);
        tfp->open(w);
    }
#endif
    top->clk = 0;
    top->rst = 1;
    top->BT_PORT(cyc) = 0;
    top->BT_PORT(stb) = 0;
    top->BT_PORT(we) = 0;
    top->eval();  // initial blocks and settle; then half() evaluates the design directly
    half(0);
    reset();
    unsigned op;
    unsigned long a, b;
    int rc = 0;
    while (true) {
        if (std::fscanf(fin, "%x %lx %lx", &op, &a, &b) != 3) {
            std::fprintf(stderr, "bt_replay: error: bad transaction line\n");
            rc = 1;
            break;
        }
        uint32_t q = 0;
        if (op == 1) {
            if (!access(a, b, true, &q)) { rc = 1; break; }
        } else if (op == 2) {
            if (!access(a, 0, false, &q)) { rc = 1; break; }
            std::fprintf(fout, "%08x\n", q);
        } else if (op == 3) {
            unsigned long waited = 0;
            while (!top->irq && waited < a) {
                cycle();
                waited++;
            }
            std::fprintf(fout, "%lx %x\n", waited, top->irq ? 0 : 1);
        } else if (op == 4) {
            top->rst = 1;
            cycle();  // an idle cycle: the reset register takes the request
            reset();
        } else {
            break;
        }
    }
    std::fprintf(fout, "end %llx\n", (unsigned long long)n_cycles);
    std::fclose(fout);
    top->final();
#ifdef BT_WAVES
    if (tfp) tfp->close();
#endif
    top.reset();  // before its context goes
    return rc;
}
