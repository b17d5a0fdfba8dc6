#!/usr/bin/env python3
"""deepfm against the PyTorch reference on one generated file: training samples/s, inference
samples/s and single-row latency, both on the same threads (issue 15's comparison; the
README's speed table comes from it). Run it in the comparison scripts' environment, or let
scripts/bench.sh run it (it builds what is needed first):

    DEEPFM_TORCH=pypi scripts/python-env.sh benchmarks/compare_pytorch.py --quick
    DEEPFM_TORCH=pypi scripts/python-env.sh benchmarks/compare_pytorch.py --config criteo

What it does:
1. writes (once; cached in --data-dir, default build/bench-data) a d2l-format file with
   `deepfm generate`: label then categorical fields, TAB-separated. d2l config: 34 fields of
   680 values (23,120 in all), 1 M rows; criteo-like: 39 fields of 10,000 values, 200 k rows;
2. trains the same network for --epochs with `deepfm train --threads N` and with the
   reference (`benchmarks/pytorch/deepfm_reference.py bench`, torch.set_num_threads(N)): d2l
   config k 10, MLP 30-20-10; criteo-like k 16, MLP 400-400-400; both dropout 0.1, Adam lr
   0.01 (dense, as torch.optim.Adam), batch 2048, seed 1. Samples/s is rows trained / epoch
   time for both: the batch loop alone (batch gather, forward, backward, update), reading and
   encoding the file excluded (deepfm's per-epoch `seconds` from --metrics; the reference's
   epoch loop timed alike);
3. inference samples/s at batch 2048: deepfm's from train_step_bench
   (DeepFMInference<float>/CONFIG/threads:N, random ids over that configuration's table),
   the reference's on batches of the file's rows (eval mode, no_grad); plus deepfm's whole
   train step alone (DeepFMTrainStep<float>/.../threads:N) and the fraction of the machine's
   FLOP bound each reaches (the benchmark's bound_frac);
4. single-row latency p50/p99: deepfm's from predict_latency_bench (one row from global ids,
   and for the d2l config from raw strings through the vocabulary), the reference's one row of
   ids per call, each call timed on its own.
It prints a markdown table with the machine line and the commands run, and writes it (and
every figure as JSON) to --data-dir/compare-CONFIG.{md,json}.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
REFERENCE = os.path.join(HERE, "pytorch", "deepfm_reference.py")

CONFIGS = {
    "d2l": {"title": "d2l config", "fields": 34, "values": 680, "factors": 10,
            "mlp": [30, 20, 10], "rows": 1_000_000, "quick_rows": 50_000,
            "bench": "d2l_k10", "step_bench": "d2l_k10_adam_dense",
            "latency": ["PredictLatency<float>/d2l_k10/from_ids/1",
                        "PredictLatency<float>/d2l_k10/from_strings/1"]},
    "criteo": {"title": "Criteo-like config", "fields": 39, "values": 10_000, "factors": 16,
               "mlp": [400, 400, 400], "rows": 200_000, "quick_rows": 20_000,
               "bench": "criteo39x10k_k16_mlp400x3",
               "step_bench": "criteo39x10k_k16_mlp400x3_adam_dense",
               "latency": ["PredictLatency<float>/criteo39x10k_k16_mlp400x3/from_ids/1"]},
}
BATCH = 2048
LR = 0.01
DROPOUT = 0.1
SEED = 1

commands_run = []


def shown(path):
    """A path relative to the repository when inside it (for the printed commands)."""
    path = os.path.abspath(path)
    return os.path.relpath(path, REPO) if path.startswith(REPO + os.sep) else path


def run(command, env_note="", env=None, capture=True):
    """Runs a command (recorded for the report); returns its stdout."""
    commands_run.append((env_note + " " if env_note else "") +
                        shlex.join(shown(c) if c.startswith(REPO + os.sep) else c
                                   for c in command))
    print("+ " + commands_run[-1], file=sys.stderr, flush=True)
    result = subprocess.run(command, env=env, check=False, text=True,
                            stdout=subprocess.PIPE if capture else None)
    if result.returncode != 0:
        if capture and result.stdout:
            sys.stderr.write(result.stdout[-4000:])
        sys.exit(f"compare_pytorch: {command[0]} failed with exit code {result.returncode}")
    return result.stdout or ""


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def make_data(args, config):
    """The generated d2l-format file, written once per (config, rows)."""
    os.makedirs(args.data_dir, exist_ok=True)
    path = os.path.join(args.data_dir, f"{args.config}-{config['fields']}x{config['values']}-"
                                       f"{args.rows}rows-seed{SEED}.tsv")
    command = [args.deepfm, "generate", "--rows", str(args.rows), "--fields",
               str(config["fields"]), "--values-per-field", str(config["values"]), "--seed",
               str(SEED), "--out", path]
    if os.path.exists(path):
        print(f"compare_pytorch: reusing {shown(path)}", file=sys.stderr)
        commands_run.append(shlex.join(shown(c) for c in command) +
                            "  # written by an earlier run, reused")
        return path
    partial = path + ".partial"
    run(command[:-1] + [partial])
    os.replace(partial, path)
    commands_run[-1] = commands_run[-1].replace(shown(partial), shown(path))
    return path


def trained_samples(rows, epochs):
    """Rows each epoch trains in d2l's rollover order (full batches; the rest rolls over)."""
    out, leftover = [], 0
    for _ in range(epochs):
        order = leftover + rows
        used = order // BATCH * BATCH if order >= BATCH else order
        out.append(used)
        leftover = order - used if order >= BATCH else leftover
    return out


def run_deepfm_train(args, config, data):
    metrics = os.path.join(args.data_dir, f"deepfm-train-{args.config}.jsonl")
    command = [args.deepfm, "train", "--train", data, "--epochs", str(args.epochs),
               "--threads", str(args.threads), "--factors", str(config["factors"]),
               "--mlp", ",".join(map(str, config["mlp"])), "--dropout", str(DROPOUT),
               "--lr", str(LR), "--batch", str(BATCH), "--seed", str(SEED),
               "--cache-dir", os.path.join(args.data_dir, "cache"), "--metrics", metrics]
    log = run(command)
    with open(os.path.join(args.data_dir, f"deepfm-train-{args.config}.log"), "w") as f:
        f.write(log)
    with open(metrics) as f:
        epochs = [json.loads(line) for line in f if line.strip()]
    samples = trained_samples(args.rows, len(epochs))
    for epoch, n in zip(epochs, samples):
        epoch["samples"] = n
        epoch["trained_samples_per_second"] = n / epoch["seconds"]
    return {"epochs": epochs,
            "train_samples_per_second": sum(samples) / sum(e["seconds"] for e in epochs)}


def run_reference(args, config, data):
    out = os.path.join(args.data_dir, f"pytorch-bench-{args.config}.json")
    command = [args.python, REFERENCE, "bench", "--train", data, "--epochs", str(args.epochs),
               "--threads", str(args.threads), "--factors", str(config["factors"]),
               "--mlp", ",".join(map(str, config["mlp"])), "--dropout", str(DROPOUT),
               "--lr", str(LR), "--batch", str(BATCH), "--seed", str(SEED),
               "--inference-seconds", str(args.inference_seconds),
               "--latency-calls", str(args.latency_calls), "--json", out]
    run(command, capture=False)
    with open(out) as f:
        return json.loads(f.readline())


def run_benchmark(args, binary, pattern):
    """Google Benchmark JSON of the benchmarks matching `pattern`, at --threads threads."""
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = run([binary, f"--benchmark_filter={pattern}",
               f"--benchmark_min_time={args.min_time}", "--benchmark_format=json"],
              env_note=f"OMP_NUM_THREADS={args.threads}", env=env)
    report = json.loads(out)
    return report.get("context", {}), {b["name"]: b for b in report.get("benchmarks", [])}


def run_deepfm_benchmarks(args, config):
    """deepfm's train step and inference (train_step_bench) and one-row latency
    (predict_latency_bench); None for what is not built."""
    step_bench = os.path.join(args.bench_dir, "train_step_bench")
    latency_bench = os.path.join(args.bench_dir, "predict_latency_bench")
    result = {"context": {}, "step": None, "inference": None, "latency": {}}
    # The threaded benchmarks run at 1 thread and at OpenMP's default (OMP_NUM_THREADS here).
    threads = f"threads:{args.threads}/"
    if os.path.exists(step_bench):
        step = f"DeepFMTrainStep<float>/{config['step_bench']}/{threads}"
        infer = f"DeepFMInference<float>/{config['bench']}/{threads}"
        context, found = run_benchmark(args, step_bench, f"^({step}|{infer})")
        result["context"] = context
        for name, b in found.items():
            key = "step" if name.startswith(step) else "inference"
            result[key] = {"name": name, "samples_per_second": b.get("items_per_second"),
                           "flops": b.get("FLOP/s"), "bound_frac": b.get("bound_frac")}
    else:
        print(f"compare_pytorch: {shown(step_bench)} not built; deepfm inference left out",
              file=sys.stderr)
    if os.path.exists(latency_bench):
        names = "|".join(config["latency"])
        context, found = run_benchmark(args, latency_bench, f"^({names})$")
        result["context"] = result["context"] or context
        for name, b in found.items():
            result["latency"][name] = {"p50_us": b.get("p50_us"), "p99_us": b.get("p99_us")}
    else:
        print(f"compare_pytorch: {shown(latency_bench)} not built; deepfm latency left out",
              file=sys.stderr)
    return result


def count(value):
    if value is None:
        return "–"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}".replace(".0" + unit, unit)
    return f"{value:.3g}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "–"


def percent(fraction):
    return f"{100 * fraction:.1f}%" if fraction is not None else "–"


def report(args, config, data, deepfm, torch, benches, version):
    ctx = benches["context"]
    cores = ctx.get("cpu_cores", f"{len(os.sched_getaffinity(0))} logical CPUs")
    isa = ctx.get("deepfm_isa") or (version.split("SIMD kernels:")[-1].strip()
                                    if "SIMD kernels:" in version else "unknown")
    lines = []
    add = lines.append
    add(f"### deepfm vs PyTorch, {config['title']}: {config['fields']} fields x "
        f"{config['values']:,} values, k {config['factors']}, MLP "
        f"{'-'.join(map(str, config['mlp']))}, dropout {DROPOUT}, Adam lr {LR}, batch {BATCH}")
    add("")
    add(f"Machine: {ctx.get('cpu_model', cpu_model())}, {cores}, deepfm ISA {isa}; "
        f"FLOP bound {ctx.get('flop_bound', 'unknown (benchmarks not built)')}.  ")
    add(f"{' '.join(version.split())}; PyTorch {torch['torch']} (BLAS "
        f"{torch.get('torch_blas', '?')}, {shown(os.path.dirname(torch['torch_file']))}); "
        f"{args.threads} threads each.  ")
    add(f"Data: {shown(data)}, {args.rows:,} rows ({torch['ids']:,} ids after min-count 4), "
        f"{args.epochs} epoch(s); reading and encoding excluded (PyTorch's took "
        f"{torch['load_seconds']:.1f} s).")
    add("")
    add("| workload | deepfm | PyTorch | deepfm / PyTorch |")
    add("|---|---|---|---|")
    add(f"| train, samples/s (epoch loop) | {count(deepfm['train_samples_per_second'])} | "
        f"{count(torch['train_samples_per_second'])} | "
        f"{ratio(deepfm['train_samples_per_second'], torch['train_samples_per_second'])} |")
    step = benches["step"]
    if step:
        add(f"| train step alone, samples/s (train_step_bench; FLOP bound fraction) | "
            f"{count(step['samples_per_second'])} ({percent(step['bound_frac'])}) | – | – |")
    infer = benches["inference"]
    add(f"| inference, batch {BATCH}, samples/s (deepfm: FLOP bound fraction) | "
        f"{count(infer['samples_per_second']) if infer else '–'}"
        f"{' (' + percent(infer['bound_frac']) + ')' if infer else ''} | "
        f"{count(torch['inference_samples_per_second'])} | "
        f"{ratio(infer and infer['samples_per_second'], torch['inference_samples_per_second'])} |")
    ids_latency = benches["latency"].get(config["latency"][0])
    add(f"| one row from ids, p50 / p99 µs | "
        f"{'%.2f / %.2f' % (ids_latency['p50_us'], ids_latency['p99_us']) if ids_latency else '–'}"
        f" | {torch['latency_p50_us']:.1f} / {torch['latency_p99_us']:.1f} | "
        f"{ratio(torch['latency_p50_us'], ids_latency and ids_latency['p50_us'])} (p50) |")
    if len(config["latency"]) > 1:
        strings = benches["latency"].get(config["latency"][1])
        if strings:
            add(f"| one row from raw strings (deepfm `Predictor`), p50 / p99 µs | "
                f"{strings['p50_us']:.2f} / {strings['p99_us']:.2f} | – | – |")
    add("")
    per_epoch = ", ".join(f"{count(e['trained_samples_per_second'])}" for e in deepfm["epochs"])
    torch_epochs = ", ".join(f"{count(e['samples_per_second'])}" for e in torch["epochs"])
    table_note = ", the d2l data's 891 rows" if args.config == "d2l" else ""
    add(f"Per epoch, samples/s: deepfm {per_epoch}; PyTorch {torch_epochs}. deepfm's step, "
        f"inference and latency figures are train_step_bench's and predict_latency_bench's "
        f"(random ids over the configuration's table{table_note}), "
        f"PyTorch's are on the file's rows. Latency ratio: PyTorch's p50 over deepfm's. FLOPs "
        f"counted: the MLP's, 2·Σ in·out per sample forward, 3 times that to train "
        f"(train_step_bench.cpp).")
    add("")
    add("Commands:")
    add("")
    add("```sh")
    lines.extend(commands_run)
    add("```")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(CONFIGS), default="d2l")
    parser.add_argument("--rows", type=int, help="rows of the generated file "
                        "(default: 1000000 for d2l, 200000 for criteo; --quick: 50000, 20000)")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="threads for both (default: every CPU this process may use)")
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run: fewer rows, short inference and benchmarks")
    parser.add_argument("--deepfm", default=os.path.join(REPO, "build", "bench", "examples",
                                                         "deepfm"),
                        help="the deepfm tool (scripts/bench.sh builds it with -march=native)")
    parser.add_argument("--bench-dir", default=os.path.join(REPO, "build", "bench", "benchmarks"),
                        help="where train_step_bench and predict_latency_bench are")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter (with torch) that runs the reference")
    parser.add_argument("--data-dir", default=os.path.join(REPO, "build", "bench-data"))
    parser.add_argument("--min-time", type=float, default=None,
                        help="--benchmark_min_time of the deepfm benchmarks (default 1, quick 0.1)")
    parser.add_argument("--inference-seconds", type=float, default=None)
    parser.add_argument("--latency-calls", type=int, default=None)
    args = parser.parse_args()
    config = CONFIGS[args.config]
    if args.rows is None:
        args.rows = config["quick_rows"] if args.quick else config["rows"]
    if args.min_time is None:
        args.min_time = 0.1 if args.quick else 1.0
    if args.inference_seconds is None:
        args.inference_seconds = 0.5 if args.quick else 3.0
    if args.latency_calls is None:
        args.latency_calls = 1000 if args.quick else 10000
    if args.rows < BATCH or args.epochs < 1 or args.threads < 1:
        sys.exit("compare_pytorch: --rows must be at least the batch (2048), --epochs and "
                 "--threads at least 1")
    if not os.access(args.deepfm, os.X_OK):
        sys.exit(f"compare_pytorch: no deepfm tool at {args.deepfm} (scripts/bench.sh builds it; "
                 "or pass --deepfm)")
    args.data_dir = os.path.abspath(args.data_dir)
    start = time.time()

    version = run([args.deepfm, "--version"]).strip()
    commands_run.pop()  # not worth printing
    data = make_data(args, config)
    deepfm = run_deepfm_train(args, config, data)
    torch = run_reference(args, config, data)
    benches = run_deepfm_benchmarks(args, config)
    if torch.get("torch_blas") == "generic":
        print("compare_pytorch: WARNING: this torch uses the generic reference BLAS (Debian's "
              "python3-torch), several times slower than PyPI's; run with DEEPFM_TORCH=pypi "
              "(scripts/python-env.sh) for a fair peer", file=sys.stderr)

    table = report(args, config, data, deepfm, torch, benches, version)
    print(table, flush=True)
    out = os.path.join(args.data_dir, f"compare-{args.config}")
    with open(out + ".md", "w") as f:
        f.write(table)
    with open(out + ".json", "w") as f:
        json.dump({"config": args.config, "rows": args.rows, "epochs": args.epochs,
                   "threads": args.threads, "deepfm_version": version, "deepfm": deepfm,
                   "pytorch": torch, "benchmarks": benches, "commands": commands_run}, f,
                  indent=1)
    print(f"compare_pytorch: {shown(out)}.md and .json written ({time.time() - start:.0f} s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
