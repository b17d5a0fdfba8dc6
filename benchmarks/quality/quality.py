#!/usr/bin/env python3
"""The model-quality table of the README: DeepFM and FM test AUC and logloss after 3 and 30
epochs, mean and spread over 5 seeds, for deepfm and for the PyTorch reference
(benchmarks/pytorch/deepfm_reference.py) on the same splits of the shared CTR samples and of
generated data. Run it in the comparison scripts' environment (torch and numpy, made on first
use):

    scripts/python-env.sh benchmarks/quality/quality.py --deepfm build/release/examples/deepfm

Splits (written to --work, never into the project): d2l test.csv first 2400 lines train, last
600 test; the Criteo and Avazu samples first 80% train, last 20% test (header kept on both);
generated data from `deepfm generate` (100k rows, 80/20). Prints a Markdown table and writes
every run's figures as JSON lines to --work/results.jsonl.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
REFERENCE = os.path.join(REPO, "benchmarks", "pytorch", "deepfm_reference.py")


def split_lines(source, train_path, test_path, train_lines=None, header=False, distinct=False):
    """Splits a text file by lines (keeping the bytes of each line as they are); with
    `distinct`, repeated lines are dropped first (keeping the first of each)."""
    with open(source, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    head = [lines.pop(0)] if header else []
    if distinct:
        seen = set()
        lines = [l for l in lines if not (l.rstrip(b"\r\n") in seen or seen.add(l.rstrip(b"\r\n")))]
    if not lines[-1].endswith(b"\n"):
        lines[-1] += b"\r\n" if lines[0].endswith(b"\r\n") else b"\n"
    cut = train_lines if train_lines is not None else len(lines) * 4 // 5
    with open(train_path, "wb") as f:
        f.writelines(head + lines[:cut])
    with open(test_path, "wb") as f:
        f.writelines(head + lines[cut:])
    return cut, len(lines) - cut


def datasets(args):
    """(name, train, test, reader flags) of every data set present."""
    data = args.data
    work = args.work
    out = []
    d2l = os.path.join(data, "d2l-ctr", "test.csv")
    if os.path.exists(d2l):
        t, v = os.path.join(work, "d2l.train.tsv"), os.path.join(work, "d2l.test.tsv")
        split_lines(d2l, t, v, train_lines=2400)
        out.append(("d2l", t, v, ["--format", "d2l"]))
    criteo_csv = os.path.join(data, "criteo-kaggle-tiny", "train.tiny.csv")
    if os.path.exists(criteo_csv):
        t, v = os.path.join(work, "criteo.train.csv"), os.path.join(work, "criteo.test.csv")
        split_lines(criteo_csv, t, v, header=True)
        out.append(("criteo-csv", t, v,
                    ["--format", "csv", "--label-column", "Label", "--drop-columns", "Id"]))
    criteo_raw = os.path.join(data, "criteo-raw-pytorch-fm", "train.txt")
    if os.path.exists(criteo_raw):
        t, v = os.path.join(work, "criteo-raw.train.txt"), os.path.join(work, "criteo-raw.test.txt")
        split_lines(criteo_raw, t, v)
        out.append(("criteo-raw", t, v, ["--format", "criteo"]))
    avazu = os.path.join(data, "avazu-kaggle-tiny", "tr.rx.csv")
    if os.path.exists(avazu):
        t, v = os.path.join(work, "avazu.train.csv"), os.path.join(work, "avazu.test.csv")
        split_lines(avazu, t, v, header=True)
        out.append(("avazu", t, v,
                    ["--format", "csv", "--label-column", "click", "--drop-columns", "id"]))
        # The sample repeats each of its 499 distinct rows about six times, so every test row
        # of the plain split is also a training row; this split keeps each row once.
        t, v = os.path.join(work, "avazu-distinct.train.csv"), os.path.join(work, "avazu-distinct.test.csv")
        split_lines(avazu, t, v, header=True, distinct=True)
        out.append(("avazu-distinct", t, v,
                    ["--format", "csv", "--label-column", "click", "--drop-columns", "id"]))
    generated = os.path.join(work, "generated.tsv")
    subprocess.run([args.deepfm, "generate", "--rows", str(args.generated_rows), "--seed", "1",
                    "--out", generated], check=True, stdout=subprocess.DEVNULL)
    t, v = os.path.join(work, "generated.train.tsv"), os.path.join(work, "generated.test.tsv")
    split_lines(generated, t, v)
    out.append(("generated", t, v, ["--format", "d2l"]))
    return out


def run_deepfm(args, name, train, test, flags, model, seed):
    metrics = os.path.join(args.work, f"{name}-{model}-{seed}.jsonl")
    command = [args.deepfm, "train", "--train", train, "--test", test, "--model", model,
               "--seed", str(seed), "--epochs", str(max(args.eval_epochs)),
               "--cache-dir", os.path.join(args.work, "cache"), "--metrics", metrics] + flags
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    rows = []
    with open(metrics) as f:
        for line in f:
            epoch = json.loads(line)
            if epoch["epoch"] in args.eval_epochs:
                rows.append({"system": "deepfm", "dataset": name, "model": model, "seed": seed,
                             "epoch": epoch["epoch"], "test_auc": epoch["test"]["auc"],
                             "test_logloss": epoch["test"]["logloss"]})
    return rows


def run_reference(args, name, train, test, flags, model):
    out = os.path.join(args.work, f"{name}-{model}-reference.jsonl")
    command = [args.python, REFERENCE, "train", "--train", train, "--test", test, "--model", model,
               "--epochs", str(max(args.eval_epochs)), "--seeds", str(args.seeds),
               "--eval-epochs", ",".join(map(str, args.eval_epochs)), "--json", out] + flags
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    rows = []
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            rows.append({"system": "pytorch", "dataset": name, "model": model, "seed": r["seed"],
                         "epoch": r["epoch"], "test_auc": r["test_auc"],
                         "test_logloss": r["test_logloss"]})
    return rows


def summary(values):
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {spread:.4f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deepfm", default=os.path.join(REPO, "build", "release", "examples", "deepfm"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    parser.add_argument("--work", default="/tmp/deepfm-quality")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--eval-epochs", default="3,30")
    parser.add_argument("--generated-rows", type=int, default=100000)
    parser.add_argument("--only", default="", help="comma-separated data set names")
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()
    args.eval_epochs = [int(e) for e in args.eval_epochs.split(",")]
    os.makedirs(args.work, exist_ok=True)
    results = []
    start = time.time()
    for name, train, test, flags in datasets(args):
        if args.only and name not in args.only.split(","):
            continue
        for model in ("deepfm", "fm"):
            for seed in range(1, args.seeds + 1):
                results += run_deepfm(args, name, train, test, flags, model, seed)
            if not args.no_reference:
                results += run_reference(args, name, train, test, flags, model)
            print(f"{name} {model} done ({time.time() - start:.0f} s)", file=sys.stderr)
    with open(os.path.join(args.work, "results.jsonl"), "w") as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    print("| data | model | epochs | deepfm AUC | PyTorch AUC | deepfm logloss | PyTorch logloss |")
    print("|---|---|---|---|---|---|---|")
    keys = sorted({(r["dataset"], r["model"], r["epoch"]) for r in results},
                  key=lambda k: (k[0], k[1], k[2]))
    for dataset, model, epoch in keys:
        pick = lambda system, metric: [r[metric] for r in results
                                       if (r["dataset"], r["model"], r["epoch"], r["system"]) ==
                                       (dataset, model, epoch, system)]
        print(f"| {dataset} | {model} | {epoch} | {summary(pick('deepfm', 'test_auc'))} | "
              f"{summary(pick('pytorch', 'test_auc'))} | {summary(pick('deepfm', 'test_logloss'))} | "
              f"{summary(pick('pytorch', 'test_logloss'))} |")
    print(f"\n{len(results)} runs' figures in {args.work}/results.jsonl; {time.time() - start:.0f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
