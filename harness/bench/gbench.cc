/*
 * harness/bench/gbench.cc — the C API of harness/bench/gbench.h, over Google Benchmark 1.7.
 *
 * ptc_gbench_run() clears GB's (process-global) registry, registers one GB
 * benchmark per case (UseRealTime, microseconds, explicit repetitions, extra
 * "min"/"max" aggregates), and runs them with one display reporter of our own,
 * CaptureReporter. It records every non-aggregate run (= one repetition) of each
 * case, keyed by GB's function name (= the case name), recomputes the case's
 * statistics, and forwards every call to GB's ConsoleReporter (optional, stdout)
 * and GB's JSONReporter (optional, a file): GB's own formats, untouched. No
 * exception escapes to C: every entry point catches and reports an error.
 */
#include "bench/gbench.h"
#include "ptc/stats.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

struct ptc_gbench_state {
    benchmark::State *st;
};

namespace {

struct Case {
    size_t index = 0;
    std::string name, label, error_message;
    ptc_gbench_once_fn run_once = nullptr;
    ptc_gbench_loop_fn run_loop = nullptr;
    void *user = nullptr;
    double flops_per_iter = 0, bytes_per_iter = 0;
    int repetitions = 0;
    double min_time_s = 0, warmup_s = 0;
    int64_t iterations = 0;
    int threads = 1;
    std::vector<int64_t> args;

    std::vector<double> rep_s;       // seconds per iteration, one per repetition
    std::vector<int64_t> rep_iterations;
    bool reported_done = false;
    ptc_gbench_stats stats{};
};

// Statistics of the samples into c->stats (the raw arrays point into c).
void update_stats(Case *c)
{
    ptc_gbench_stats &s = c->stats;
    const std::vector<double> &x = c->rep_s;
    const size_t n = x.size();
    s.name = c->name.c_str();
    s.case_index = c->index;
    s.n = (int)n;
    s.rep_s = x.data();
    s.rep_iterations = c->rep_iterations.data();
    s.flops_per_iter = c->flops_per_iter;
    s.threads = c->threads;
    s.error = !c->error_message.empty();
    s.error_message = c->error_message.c_str();
    s.median_s = s.mean_s = s.stddev_s = s.min_s = s.max_s = s.cv = 0;
    s.gflops_median = s.gflops_min = s.gflops_max = 0;
    if (n == 0)
        return;
    ptc_sample_desc d; // sample standard deviation, as GB's own "stddev" aggregate
    ptc_describe(x.data(), n, &d);
    s.median_s = d.median, s.min_s = d.min, s.max_s = d.max;
    s.mean_s = d.mean, s.stddev_s = d.sd, s.cv = d.cv;
    if (c->flops_per_iter > 0) {
        const double g = c->flops_per_iter * 1e-9;
        s.gflops_median = s.median_s > 0 ? g / s.median_s : 0;
        s.gflops_min = s.max_s > 0 ? g / s.max_s : 0;
        s.gflops_max = s.min_s > 0 ? g / s.min_s : 0;
    }
}

double stat_min(const std::vector<double> &v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }
double stat_max(const std::vector<double> &v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

bool gb_initialized = false;

void ensure_initialized()
{
    if (gb_initialized)
        return;
    // GB keeps argv[0] as the executable name in its reports: static storage.
    static char arg0[] = "ptc";
    static char *argv[] = {arg0, nullptr};
    int argc = 1;
    benchmark::Initialize(&argc, argv);
    gb_initialized = true;
}

} // namespace

struct ptc_gbench {
    ptc_gbench_options options{};
    std::string json_path;
    std::vector<std::unique_ptr<Case>> cases;
    std::map<std::string, Case *> by_name;
    std::string error;
};

namespace {

// GB display reporter that captures every repetition and forwards to GB's own
// console and JSON reporters.
class CaptureReporter : public benchmark::BenchmarkReporter {
  public:
    CaptureReporter(ptc_gbench *suite, benchmark::BenchmarkReporter *console,
                    benchmark::BenchmarkReporter *json)
        : suite_(suite), console_(console), json_(json) {}

    bool ReportContext(const Context &context) override
    {
        if (console_)
            console_->ReportContext(context);
        if (json_)
            json_->ReportContext(context);
        return true;
    }

    void ReportRuns(const std::vector<Run> &runs) override
    {
        if (console_)
            console_->ReportRuns(runs);
        if (json_)
            json_->ReportRuns(runs);
        std::vector<Case *> touched;
        for (const Run &run : runs) {
            if (run.run_type != Run::RT_Iteration)
                continue; // GB's aggregates: we compute our own from the samples
            auto it = suite_->by_name.find(run.run_name.function_name);
            if (it == suite_->by_name.end())
                continue;
            Case *c = it->second;
            if (run.error_occurred) {
                c->error_message = run.error_message.empty() ? "skipped with an error" : run.error_message;
            } else {
                const double seconds = run.GetAdjustedRealTime() /
                                       benchmark::GetTimeUnitMultiplier(run.time_unit);
                c->rep_s.push_back(seconds);
                c->rep_iterations.push_back((int64_t)run.iterations);
            }
            if (std::find(touched.begin(), touched.end(), c) == touched.end())
                touched.push_back(c);
        }
        if (suite_->options.on_progress) {
            size_t done = 0, total = 0;
            for (auto &c : suite_->cases) {
                const size_t reps = (size_t)c->repetitions;
                total += reps;
                done += !c->error_message.empty() ? reps : std::min(reps, c->rep_s.size());
            }
            suite_->options.on_progress(done, total, suite_->options.on_progress_user);
        }
        for (Case *c : touched) {
            update_stats(c);
            const bool complete = c->stats.error || c->stats.n >= c->repetitions;
            if (complete && !c->reported_done) {
                c->reported_done = true;
                if (suite_->options.on_case_done)
                    suite_->options.on_case_done(&c->stats, suite_->options.on_case_done_user);
            }
        }
    }

    void Finalize() override
    {
        if (console_)
            console_->Finalize();
        if (json_)
            json_->Finalize();
    }

  private:
    ptc_gbench *suite_;
    benchmark::BenchmarkReporter *console_;
    benchmark::BenchmarkReporter *json_;
};

void register_case(Case *c)
{
    benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
        c->name.c_str(), [c](benchmark::State &st) {
            if (st.thread_index() == 0) {
                // Set on one thread only: GB sums counters over threads.
                if (c->flops_per_iter > 0)
                    st.counters["FLOP/s"] = benchmark::Counter(
                        c->flops_per_iter, benchmark::Counter::kIsIterationInvariantRate);
                if (c->bytes_per_iter > 0)
                    st.counters["bytes_per_second"] = benchmark::Counter(
                        c->bytes_per_iter, benchmark::Counter::kIsIterationInvariantRate,
                        benchmark::Counter::kIs1024);
                if (!c->label.empty())
                    st.SetLabel(c->label.c_str());
            }
            if (c->run_loop) {
                ptc_gbench_state state{&st};
                c->run_loop(&state, c->user);
            } else {
                for (auto _ : st)
                    c->run_once(c->user);
            }
        });
    b->UseRealTime();
    b->Unit(benchmark::kMicrosecond);
    b->Repetitions(c->repetitions);
    if (!c->args.empty())
        b->Args(c->args);
    if (c->iterations > 0) {
        b->Iterations(c->iterations);
    } else {
        // GB applies a per-benchmark warm-up only together with a per-benchmark min time.
        double min_time = c->min_time_s;
        if (min_time <= 0 && c->warmup_s > 0)
            min_time = 0.5; // GB's default min time
        if (min_time > 0)
            b->MinTime(min_time);
        if (c->warmup_s > 0)
            b->MinWarmUpTime(c->warmup_s);
    }
    if (c->threads > 1)
        b->Threads(c->threads);
    b->ComputeStatistics("min", stat_min);
    b->ComputeStatistics("max", stat_max);
}

} // namespace

extern "C" {

void ptc_gbench_init(int *argc, char **argv)
{
    try {
        benchmark::Initialize(argc, argv);
        gb_initialized = true;
    } catch (...) {
    }
}

ptc_gbench *ptc_gbench_create(const ptc_gbench_options *options)
{
    try {
        ptc_gbench *suite = new ptc_gbench;
        if (options) {
            suite->options = *options;
            if (options->json_path)
                suite->json_path = options->json_path;
        }
        suite->options.json_path = nullptr; // ours is the copy in json_path
        if (suite->options.repetitions <= 0)
            suite->options.repetitions = 5;
        return suite;
    } catch (...) {
        return nullptr;
    }
}

void ptc_gbench_destroy(ptc_gbench *suite)
{
    delete suite;
}

int ptc_gbench_add(ptc_gbench *suite, const ptc_gbench_case *desc)
{
    try {
        suite->error.clear();
        if (!desc || !desc->name || !desc->name[0]) {
            suite->error = "gbench: a case needs a name";
            return -1;
        }
        const std::string name = desc->name;
        if (suite->by_name.count(name)) {
            suite->error = "gbench: duplicate case name '" + name + "'";
            return -1;
        }
        if (!desc->run_once == !desc->run_loop) {
            suite->error = "gbench: case '" + name + "' needs exactly one of run_once, run_loop";
            return -1;
        }
        if (desc->repetitions < 0 || desc->iterations < 0 || desc->threads < 0 ||
            desc->flops_per_iter < 0 || desc->bytes_per_iter < 0 || desc->min_time_s < 0 ||
            (desc->n_args && !desc->args)) {
            suite->error = "gbench: case '" + name + "' has a negative count or missing args";
            return -1;
        }
        std::unique_ptr<Case> c(new Case);
        c->index = suite->cases.size();
        c->name = name;
        if (desc->label)
            c->label = desc->label;
        c->run_once = desc->run_once;
        c->run_loop = desc->run_loop;
        c->user = desc->user;
        c->flops_per_iter = desc->flops_per_iter;
        c->bytes_per_iter = desc->bytes_per_iter;
        c->repetitions = desc->repetitions > 0 ? desc->repetitions : suite->options.repetitions;
        c->min_time_s = desc->min_time_s > 0 ? desc->min_time_s : suite->options.min_time_s;
        c->warmup_s = desc->warmup_s > 0 ? desc->warmup_s
                      : desc->warmup_s < 0 ? 0 : std::max(0.0, suite->options.warmup_s);
        c->iterations = desc->iterations;
        c->threads = desc->threads > 1 ? desc->threads : 1;
        c->args.assign(desc->args, desc->args + desc->n_args);
        update_stats(c.get());
        suite->by_name[name] = c.get();
        suite->cases.push_back(std::move(c));
        return (int)(suite->cases.size() - 1);
    } catch (...) {
        suite->error = "gbench: out of memory";
        return -1;
    }
}

int ptc_gbench_run(ptc_gbench *suite)
{
    try {
        suite->error.clear();
        if (suite->cases.empty())
            return 0; // GB would complain that no benchmark matches
        ensure_initialized();
        for (auto &c : suite->cases) {
            c->rep_s.clear();
            c->rep_iterations.clear();
            c->error_message.clear();
            c->reported_done = false;
            update_stats(c.get());
        }

        std::ofstream json_file;
        std::unique_ptr<benchmark::JSONReporter> json;
        if (!suite->json_path.empty()) {
            json_file.open(suite->json_path, std::ios::out | std::ios::trunc);
            if (!json_file) {
                suite->error = "gbench: cannot write " + suite->json_path;
                return -1;
            }
            json.reset(new benchmark::JSONReporter);
            json->SetOutputStream(&json_file);
            json->SetErrorStream(&std::cerr);
        }
        std::unique_ptr<benchmark::ConsoleReporter> console;
        if (suite->options.console) {
            const auto opts = isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                    : benchmark::ConsoleReporter::OO_Tabular;
            console.reset(new benchmark::ConsoleReporter(opts));
        }
        CaptureReporter capture(suite, console.get(), json.get());

        benchmark::ClearRegisteredBenchmarks();
        for (auto &c : suite->cases)
            register_case(c.get());
        benchmark::RunSpecifiedBenchmarks(&capture);
        benchmark::ClearRegisteredBenchmarks();
        if (json_file.is_open()) {
            json_file.close();
            if (json_file.fail())
                suite->error = "gbench: error writing " + suite->json_path;
        }

        size_t failed = 0, not_run = 0;
        for (auto &c : suite->cases) {
            if (c->rep_s.empty() && c->error_message.empty()) {
                c->error_message = "not run (excluded by --benchmark_filter?)";
                not_run++;
            } else if (!c->error_message.empty()) {
                failed++;
            }
            update_stats(c.get());
        }
        if (failed && suite->error.empty())
            suite->error = "gbench: " + std::to_string(failed) + " case(s) failed";
        (void)not_run; // a filter chosen by the user is not a failure
        return suite->error.empty() ? 0 : -1;
    } catch (const std::exception &e) {
        suite->error = std::string("gbench: ") + e.what();
        return -1;
    } catch (...) {
        suite->error = "gbench: unknown C++ exception";
        return -1;
    }
}

size_t ptc_gbench_count(const ptc_gbench *suite)
{
    return suite->cases.size();
}

const ptc_gbench_stats *ptc_gbench_result(const ptc_gbench *suite, size_t index)
{
    return index < suite->cases.size() ? &suite->cases[index]->stats : nullptr;
}

const char *ptc_gbench_error(const ptc_gbench *suite)
{
    return suite->error.c_str();
}

int ptc_gbench_keep_running(ptc_gbench_state *state)
{
    return state->st->KeepRunning() ? 1 : 0;
}

void ptc_gbench_pause(ptc_gbench_state *state)
{
    state->st->PauseTiming();
}

void ptc_gbench_resume(ptc_gbench_state *state)
{
    state->st->ResumeTiming();
}

int64_t ptc_gbench_arg(const ptc_gbench_state *state, size_t i)
{
    return state->st->range(i);
}

int ptc_gbench_thread_index(const ptc_gbench_state *state)
{
    return state->st->thread_index();
}

int ptc_gbench_threads(const ptc_gbench_state *state)
{
    return state->st->threads();
}

void ptc_gbench_skip_with_error(ptc_gbench_state *state, const char *message)
{
    state->st->SkipWithError(message ? message : "skipped with an error");
}

void ptc_gbench_do_not_optimize(void *p)
{
    benchmark::DoNotOptimize(p);
    benchmark::ClobberMemory();
}

} // extern "C"
