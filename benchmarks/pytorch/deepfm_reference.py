#!/usr/bin/python3
"""PyTorch reference of deepfm's DeepFM and FM (the d2l.ai chapters' models, ported to torch).

Run it with Debian's interpreter, which has python3-torch and python3-numpy (nothing else is
needed):

    /usr/bin/python3 deepfm_reference.py self-check
    /usr/bin/python3 deepfm_reference.py check-trajectory DUMP_DIR --data test.csv
    /usr/bin/python3 deepfm_reference.py train --train A --test B --model deepfm --json out.jsonl
    /usr/bin/python3 deepfm_reference.py bench --train A --threads 2 --epochs 1

check-trajectory replays a dump of deepfm_trajectory_dump (deepfm's encoded rows, initial
parameters, batch order and per-step losses, dropout off): it re-encodes the data with this
file's own implementation of the reading rules and asserts it equals deepfm's encoding, loads
deepfm's initial parameters into the torch model, trains on the same batches with
torch.optim.Adam and compares the per-step training losses (exit 0 when every step is within
--rtol, 1 otherwise).

train is the reference's own training (its own seeded initialisation, shuffling and dropout):
test AUC and logloss after the listed epochs, for several seeds, as JSON lines
{"system","model","dataset","seed","epoch","test_auc","test_logloss","train_loss"}.

bench times the same DeepFM (benchmarks/compare_pytorch.py drives it): training samples/s per
epoch with reading and encoding excluded, inference samples/s and one-row latency p50/p99.

The model, as deepfm computes it (include/deepfm/models/ctr_model.hpp):
    logit = head(sum_f w[x_f]) + 0.5 * sum_j((sum_f e_fj)^2 - sum_f e_fj^2) + MLP(concat_f e_f)
summed in that order, one table E (N x k) and w (N) for all fields (global id = field offset +
local id), head = Linear(1, 1), MLP = (Linear -> ReLU -> Dropout)* -> Linear(., 1) (DeepFM only),
loss = mean BCE with logits, Adam with PyTorch's defaults and dense gradients for the tables.
Initialisation: Xavier-uniform as MXNet's (a table of N x k: fan_in = k, fan_out = N), biases 0.
"""
import argparse
import gzip
import json
import math
import os
import statistics
import sys
import time

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as missing:  # the python3 first on PATH may not be Debian's
    sys.exit(f"deepfm_reference.py needs torch and numpy ({missing}); run it with Debian's "
             "/usr/bin/python3 (apt-get install python3-torch python3-numpy)")

# ---------------------------------------------------------------------------------------------
# Data: deepfm's reading rules (include/deepfm/data/*.hpp), written again from their headers.
# Values stay bytes, so that sorted() is std::string's byte order.


class BadLine(Exception):
    """A line that is not a record; skippable ones are counted and passed over."""

    def __init__(self, message, skippable=False):
        super().__init__(message)
        self.skippable = skippable


def read_lines(path, limit=None):
    """(line number, bytes) of each line: LF or CRLF (one trailing CR dropped), plain or gzip,
    a missing final newline accepted (deepfm's LineReader). `limit`: the first lines only."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final newline ends the last line; it opens no new one
    if limit is not None:
        lines = lines[:limit]
    for number, line in enumerate(lines, 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        if b"\0" in line:
            raise ValueError(f"{path}:{number}: NUL byte in line")
        yield number, line


def parse_label(text, what="label"):
    if text == b"1":
        return 1.0
    if text == b"0":
        return 0.0
    raise BadLine(f"{what} must be 0 or 1, found {text[:40]!r}")


class D2lParser:
    """TAB-separated, label then categorical values; the field count from the first record
    (or given); a record of another width is a skippable bad line; empty lines hold none."""

    def __init__(self, fields=0):
        self.fields = fields

    def parse(self, line):
        if not line:
            return None
        columns = line.split(b"\t")
        if self.fields == 0:
            if len(columns) <= 1:
                raise BadLine("a record needs a label and at least one field")
            self.fields = len(columns) - 1
        if len(columns) != self.fields + 1:
            raise BadLine(f"expected {self.fields + 1} fields, found {len(columns)}", True)
        return parse_label(columns[0]), columns[1:]


CRITEO_INTEGERS = 13
CRITEO_FIELDS = 39
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def criteo_integer_category(value):
    """pytorch-fm's buckets: "" -> NULL, v > 2 -> floor(ln(v)^2), v <= 2 -> v - 2."""
    if value == b"":
        return b"NULL"
    text = value.decode("ascii", "replace")
    digits = text[1:] if text.startswith("-") else text
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise BadLine(f"not an integer: {text[:40]!r}")
    v = int(text)
    if v < INT64_MIN or v > INT64_MAX:
        raise BadLine(f"integer out of 64-bit range: {text[:40]!r}")
    if v > 2:
        log_v = math.log(float(v))  # deepfm converts to double before the log
        return str(int(math.floor(log_v * log_v))).encode()
    return str(v - 2).encode()


class CriteoParser:
    """Kaggle train.txt: label, I1..I13 (bucketed), C1..C26; ragged rows padded as missing."""

    fields = CRITEO_FIELDS

    def parse(self, line):
        if not line:
            return None
        columns = line.split(b"\t")
        if len(columns) > CRITEO_FIELDS + 1:
            raise BadLine(f"expected at most 40 fields, found {len(columns)}", True)
        label = parse_label(columns[0])
        columns = columns[1:] + [b""] * (CRITEO_FIELDS + 1 - len(columns))
        values = [criteo_integer_category(v) for v in columns[:CRITEO_INTEGERS]]
        values += [v if v else b"NULL" for v in columns[CRITEO_INTEGERS:]]
        return label, values


def split_csv(line, separator):
    """RFC 4180 fields of one line (no field spans lines), as deepfm's CsvParser splits."""
    cells = []
    pos = 0
    while True:
        if pos < len(line) and line[pos:pos + 1] == b'"':
            start = pos + 1
            value = bytearray()
            while True:
                close = line.find(b'"', start)
                if close < 0:
                    raise BadLine(f"column {len(cells) + 1}: unterminated quote")
                value += line[start:close]
                if line[close + 1:close + 2] == b'"':
                    value += b'"'
                    start = close + 2
                    continue
                break
            cells.append(bytes(value))
            pos = close + 1
            if pos == len(line):
                return cells
            if line[pos:pos + 1] != separator:
                raise BadLine(f"column {len(cells)}: text after the closing quote")
            pos += 1
        else:
            stop = line.find(separator, pos)
            if stop < 0:
                cells.append(line[pos:])
                return cells
            cells.append(line[pos:stop])
            pos = stop + 1


class CsvParser:
    """A header line, one 0/1 label column, dropped columns, every other column categorical."""

    def __init__(self, label_column, drop_columns=(), separator=","):
        self.label = label_column.encode()
        self.drop = [c.encode() for c in drop_columns]
        self.separator = separator.encode()
        self.header = None
        self.fields = 0

    def parse(self, line):
        if self.header is None:
            if line.startswith(b"\xef\xbb\xbf"):
                line = line[3:]
            if not line:
                return None
            self.header = split_csv(line, self.separator)
            if len(set(self.header)) != len(self.header):
                raise BadLine("the header names a column twice")
            for name in [self.label] + self.drop:
                if name not in self.header:
                    raise BadLine(f"column {name!r} is not in the header")
            self.label_index = self.header.index(self.label)
            dropped = {self.label_index} | {self.header.index(n) for n in self.drop}
            self.kept = [i for i in range(len(self.header)) if i not in dropped]
            self.fields = len(self.kept)
            return None
        if not line:
            return None
        cells = split_csv(line, self.separator)
        if len(cells) != len(self.header):
            raise BadLine(f"expected {len(self.header)} columns, found {len(cells)}", True)
        label = parse_label(cells[self.label_index], "label column")
        return label, [cells[i] for i in self.kept]


def parser_factory(args, fields=0):
    if args.format == "d2l":
        return lambda: D2lParser(fields)
    if args.format == "criteo":
        return CriteoParser
    if args.format == "csv":
        if not args.label_column:
            raise SystemExit("format csv needs --label-column")
        drop = [c for c in (args.drop_columns or "").split(",") if c]
        return lambda: CsvParser(args.label_column, drop, args.separator)
    raise SystemExit(f"unknown format {args.format!r} (choose d2l, criteo or csv)")


def read_records(path, factory, width=None, limit=None, strict=False):
    """The (label, values) records of a file; a record whose width is not `width` (the first
    record's when None) is a skippable bad line, as deepfm's encoder treats it."""
    parser = factory()
    records, skipped = [], 0
    for number, line in read_lines(path, limit):
        try:
            record = parser.parse(line)
            if record is None:
                continue
            if width is None:
                width = len(record[1])
            if len(record[1]) != width:
                raise BadLine(f"expected {width} fields, found {len(record[1])}", True)
        except BadLine as bad:
            if strict or not bad.skippable:
                raise SystemExit(f"{path}:{number}: {bad}")
            skipped += 1
            continue
        records.append(record)
    if not records:
        raise SystemExit(f"{path}: no records")
    return records, skipped


class Vocabulary:
    """d2l's CTRDataset rules: values seen >= min_count times in training are kept, sorted by
    byte order; any other value takes its field's default id = number kept; field_dims = kept
    + 1; global id = offset (exclusive cumulative sum of field_dims) + local id."""

    def __init__(self, records, min_count=4):
        fields = len(records[0][1])
        counts = [{} for _ in range(fields)]
        for _, values in records:
            for f, v in enumerate(values):
                counts[f][v] = counts[f].get(v, 0) + 1
        self.kept = [sorted(v for v, c in counts[f].items() if c >= min_count)
                     for f in range(fields)]
        self.index = [{v: i for i, v in enumerate(kept)} for kept in self.kept]
        self.field_dims = [len(kept) + 1 for kept in self.kept]
        self.offsets = np.concatenate([[0], np.cumsum(self.field_dims)[:-1]]).astype(np.int64)

    def encode(self, records):
        """ids [rows x fields] (uint32, global) and labels (float32) of `records`."""
        ids = np.empty((len(records), len(self.field_dims)), dtype=np.uint32)
        for r, (_, values) in enumerate(records):
            for f, v in enumerate(values):
                ids[r, f] = self.offsets[f] + self.index[f].get(v, len(self.kept[f]))
        labels = np.array([label for label, _ in records], dtype=np.float32)
        return ids, labels


# ---------------------------------------------------------------------------------------------
# Metrics


def roc_auc(scores, labels):
    """ROC AUC by the rank-sum (Mann-Whitney) formula, tied scores sharing their mean rank;
    None when only one class is present."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels) > 0.5
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = np.argsort(scores, kind="mergesort")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores), dtype=np.float64)
    start = 0
    while start < len(scores):  # average rank over each run of equal scores
        stop = start + 1
        while stop < len(scores) and sorted_scores[stop] == sorted_scores[start]:
            stop += 1
        ranks[order[start:stop]] = (start + stop + 1) / 2.0  # ranks start..stop-1, 1-based
        start = stop
    rank_sum = ranks[labels].sum()
    return float((rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives))


def roc_auc_brute_force(scores, labels):
    """P(score of a positive > score of a negative) + 0.5 P(equal), over every pair."""
    pos = [s for s, y in zip(scores, labels) if y > 0.5]
    neg = [s for s, y in zip(scores, labels) if y <= 0.5]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def logloss(logits, labels):
    """Mean BCE from logits, in float64 (as deepfm's metrics)."""
    z = torch.as_tensor(logits, dtype=torch.float64)
    y = torch.as_tensor(labels, dtype=torch.float64)
    return float(F.binary_cross_entropy_with_logits(z, y))


# ---------------------------------------------------------------------------------------------
# The model


class CtrReference(torch.nn.Module):
    """FM (mlp=None) or DeepFM over one shared embedding table; forward returns logits."""

    def __init__(self, field_dims, factors, mlp, dropout, dtype):
        super().__init__()
        rows = int(sum(field_dims))
        self.fields = len(field_dims)
        self.factors = factors
        self.embedding = torch.nn.Parameter(torch.empty(rows, factors, dtype=dtype))
        self.first_order = torch.nn.Parameter(torch.empty(rows, dtype=dtype))
        self.head = torch.nn.Linear(1, 1, dtype=dtype)
        self.mlp = None
        if mlp is not None:
            layers, width = [], self.fields * factors
            for hidden in mlp:
                layers += [torch.nn.Linear(width, hidden, dtype=dtype), torch.nn.ReLU(),
                           torch.nn.Dropout(dropout)]
                width = hidden
            layers.append(torch.nn.Linear(width, 1, dtype=dtype))
            self.mlp = torch.nn.Sequential(*layers)

    def linears(self):
        return [m for m in self.mlp if isinstance(m, torch.nn.Linear)] if self.mlp else []

    @torch.no_grad()
    def xavier_initialize(self):
        """MXNet's Xavier(): uniform +-sqrt(6 / (fan_in + fan_out)), from torch's global RNG;
        a table of N x k has fan_in = k, fan_out = N; biases zero (deepfm's Dense does so)."""
        rows = self.embedding.shape[0]
        bound = lambda fan_in, fan_out: math.sqrt(6.0 / (fan_in + fan_out))
        self.embedding.uniform_(-bound(self.factors, rows), bound(self.factors, rows))
        self.first_order.uniform_(-bound(1, rows), bound(1, rows))
        for linear in [self.head] + self.linears():
            torch.nn.init.xavier_uniform_(linear.weight)  # (out, in): fan_in = in, fan_out = out
            torch.nn.init.zeros_(linear.bias)

    def forward(self, ids):
        e = F.embedding(ids, self.embedding)  # [B, F, k]; dense gradient
        w = F.embedding(ids, self.first_order.unsqueeze(1)).sum(dim=(1, 2))  # [B]
        logit = self.head(w.unsqueeze(1))  # [B, 1]
        s = e.sum(dim=1)
        logit = logit + 0.5 * (s * s - (e * e).sum(dim=1)).sum(dim=1, keepdim=True)
        if self.mlp is not None:
            logit = logit + self.mlp(e.reshape(e.shape[0], self.fields * self.factors))
        return logit.squeeze(1)


# ---------------------------------------------------------------------------------------------
# check-trajectory


def load_dump(directory):
    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    dtype = np.float64 if meta["dtype"] == "double" else np.float32
    fields = meta["fields"]
    read = lambda name, kind: np.fromfile(os.path.join(directory, name), dtype=kind)
    ids = read("ids.u32", "<u4").reshape(-1, fields)
    labels = read("labels.f32", "<f4")
    batches = read("batches.u32", "<u4").reshape(meta["steps"], meta["batch"])
    tensors = {t["name"]: read(t["file"], np.dtype(dtype).newbyteorder("<")).reshape(t["shape"])
               for t in meta["tensors"]}
    with open(os.path.join(directory, "losses.txt")) as f:
        losses = [float(line) for line in f if line.strip()]
    return meta, ids, labels, batches, tensors, losses


def load_parameters(model, tensors):
    """deepfm's initial parameters into the torch model, by deepfm's tensor names."""
    targets = {"embedding": model.embedding, "first_order": model.first_order,
               "first_order.weight": model.head.weight, "first_order.bias": model.head.bias}
    for i, linear in enumerate(model.linears()):
        targets[f"mlp.{i}.weight"] = linear.weight
        targets[f"mlp.{i}.bias"] = linear.bias
    if set(targets) != set(tensors):
        raise SystemExit(f"dump tensors {sorted(tensors)} do not match the model's "
                         f"{sorted(targets)}")
    with torch.no_grad():
        for name, parameter in targets.items():
            value = torch.from_numpy(np.ascontiguousarray(tensors[name]))
            parameter.copy_(value.reshape(parameter.shape))


def check_trajectory(args):
    meta, ids, labels, batches, tensors, deepfm_losses = load_dump(args.dump_dir)
    data = args.data or meta["data"]

    # The data rules: this file's encoding of the same lines equals deepfm's.
    reader = argparse.Namespace(format=meta.get("format", "d2l"),
                                label_column=meta.get("label_column", ""),
                                drop_columns=meta.get("drop_columns", ""), separator=",")
    records, _ = read_records(data, parser_factory(reader), limit=meta["train_lines"])
    vocabulary = Vocabulary(records, meta["min_count"])
    ref_ids, ref_labels = vocabulary.encode(records)
    problems = []
    if vocabulary.field_dims != meta["field_dims"]:
        problems.append(f"field_dims differ: {vocabulary.field_dims} vs {meta['field_dims']}")
    if ref_ids.shape != ids.shape or not np.array_equal(ref_ids, ids):
        problems.append("encoded ids differ")
    if not np.array_equal(ref_labels, labels):
        problems.append("labels differ")
    if problems:
        print("data rules: MISMATCH: " + "; ".join(problems))
        return 1
    print(f"data rules ({reader.format}): {len(records)} rows x {ids.shape[1]} fields, "
          f"field_dims (sum {sum(vocabulary.field_dims)}) and every id equal to deepfm's encoding")

    dtype = torch.float64 if meta["dtype"] == "double" else torch.float32
    if args.torch_dtype:  # e.g. a float dump replayed in float64, to size float's rounding
        dtype = {"float32": torch.float32, "float64": torch.float64}[args.torch_dtype]
    mlp = meta["mlp"] if meta["model"] == "deepfm" else None
    model = CtrReference(meta["field_dims"], meta["factors"], mlp, 0.0, dtype)
    load_parameters(model, tensors)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=meta["lr"])
    all_ids = torch.from_numpy(ids.astype(np.int64))
    all_labels = torch.from_numpy(labels).to(dtype)

    epochs = meta.get("epoch_of_step", [0] * meta["steps"])
    print(f"{meta['model']} ({meta['dtype']}, torch {str(dtype)[6:]}): {meta['steps']} steps "
          f"of {meta['batch']}, lr {meta['lr']}, seed {meta['seed']}, adam_mode {meta.get('adam_mode', 'dense')}")
    print(f"{'step':>4} {'epoch':>5} {'deepfm loss':>22} {'torch loss':>22} {'rel diff':>10}")
    worst = 0.0
    for step, rows in enumerate(batches):
        index = torch.from_numpy(rows.astype(np.int64))
        logits = model(all_ids[index])
        y = all_labels[index]
        loss = F.binary_cross_entropy_with_logits(logits, y)
        # deepfm reports the mean loss accumulated in double from its T logits; compare the
        # same quantity (the float loss above is what is differentiated, as in a float run).
        reported = float(F.binary_cross_entropy_with_logits(logits.detach().double(), y.double()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        expected = deepfm_losses[step]
        rel = abs(reported - expected) / abs(expected)
        worst = max(worst, rel)
        print(f"{step + 1:>4} {epochs[step] + 1:>5} {expected:>22.15g} {reported:>22.15g} "
              f"{rel:>10.2e}")
    passed = worst <= args.rtol
    print(f"max relative loss difference over {len(batches)} steps: {worst:.3e} "
          f"({'within' if passed else 'ABOVE'} rtol {args.rtol:g})")
    return 0 if passed else 1


# ---------------------------------------------------------------------------------------------
# train


def rollover_batches(rows, batch, generator, leftover):
    """One epoch of d2l's DataLoader(shuffle, last_batch='rollover'): the previous epoch's
    leftover rows then a fresh permutation; full batches only, the rest rolls over."""
    permutation = torch.randperm(rows, generator=generator)
    if rows < batch:
        return [permutation], leftover
    sequence = torch.cat([leftover, permutation])
    used = len(sequence) // batch * batch
    return list(sequence[:used].split(batch)), sequence[used:]


def train(args):
    torch.set_num_threads(args.threads)
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    eval_epochs = sorted({int(e) for e in args.eval_epochs.split(",") if e})
    epochs = max([args.epochs] + eval_epochs)
    deep = args.model == "deepfm"
    factors = args.factors or (10 if deep else 20)
    lr = args.lr or (0.01 if deep else 0.02)
    mlp = [int(w) for w in args.mlp.split(",") if w] if deep else None
    dataset = args.dataset or os.path.splitext(os.path.basename(args.train))[0]

    start = time.time()
    train_records, skipped = read_records(args.train, parser_factory(args), strict=args.strict)
    vocabulary = Vocabulary(train_records, args.min_count)
    width = len(vocabulary.field_dims)
    test_records, _ = read_records(args.test, parser_factory(args, width), width=width,
                                   strict=args.strict)
    train_ids, train_labels = vocabulary.encode(train_records)
    test_ids, test_labels = vocabulary.encode(test_records)
    print(f"{dataset}: {len(train_records)} train rows ({skipped} skipped), {len(test_records)} "
          f"test rows, {width} fields, {sum(vocabulary.field_dims)} ids; {args.model}, "
          f"factors {factors}, lr {lr}, batch {args.batch}, {args.dtype}", file=sys.stderr)
    x_train = torch.from_numpy(train_ids.astype(np.int64))
    y_train = torch.from_numpy(train_labels).to(dtype)
    x_test = torch.from_numpy(test_ids.astype(np.int64))

    results = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        torch.manual_seed(seed)  # initialisation and dropout
        shuffle = torch.Generator().manual_seed(seed)
        model = CtrReference(vocabulary.field_dims, factors, mlp, args.dropout if deep else 0.0,
                             dtype)
        model.xavier_initialize()
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        leftover = torch.empty(0, dtype=torch.int64)
        for epoch in range(1, epochs + 1):
            model.train()
            batches, leftover = rollover_batches(len(y_train), args.batch, shuffle, leftover)
            loss_sum = 0.0
            for rows in batches:
                loss = F.binary_cross_entropy_with_logits(model(x_train[rows]), y_train[rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_sum += float(loss)
            if epoch in eval_epochs:
                model.eval()
                with torch.no_grad():
                    logits = model(x_test).double().numpy()
                result = {"system": "pytorch", "model": args.model, "dataset": dataset,
                          "seed": seed, "epoch": epoch, "test_auc": roc_auc(logits, test_labels),
                          "test_logloss": logloss(logits, test_labels),
                          "train_loss": loss_sum / len(batches)}
                results.append(result)
                print(json.dumps(result), file=sys.stderr)
    seconds = time.time() - start

    if args.json:
        with open(args.json, "w") as f:
            for result in results:
                f.write(json.dumps(result) + "\n")
    print(f"| data | model | epoch | test AUC | test logloss |  ({args.seeds} seeds, mean ± std)")
    print("|---|---|---|---|---|")
    for epoch in eval_epochs:
        picked = [r for r in results if r["epoch"] == epoch]
        aucs = [r["test_auc"] for r in picked if r["test_auc"] is not None]
        losses = [r["test_logloss"] for r in picked]
        spread = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
        auc = f"{statistics.mean(aucs):.4f} ± {spread(aucs):.4f}" if aucs else "n/a"
        print(f"| {dataset} | {args.model} | {epoch} | {auc} | "
              f"{statistics.mean(losses):.4f} ± {spread(losses):.4f} |")
    print(f"wall time {seconds:.1f} s")
    return 0


# ---------------------------------------------------------------------------------------------
# bench


def percentile(sorted_values, q):
    """The value at rank q * (n - 1) of an ascending list (predict_latency_bench's rule)."""
    return sorted_values[int(q * (len(sorted_values) - 1))]


def bench(args):
    """Speed of the reference on one file, for benchmarks/compare_pytorch.py: training samples/s
    per epoch (the batch loop alone: index gather, forward, backward, Adam; reading and encoding
    the file are timed apart), then inference samples/s (eval mode, no_grad, batches of
    --batch) and single-row latency (one row of ids per call, each call timed on its own)."""
    torch.set_num_threads(args.threads)
    dtype = torch.float32
    mlp = [int(w) for w in args.mlp.split(",") if w]

    start = time.perf_counter()
    records, skipped = read_records(args.train, parser_factory(args))
    vocabulary = Vocabulary(records, args.min_count)
    ids, labels = vocabulary.encode(records)
    del records
    load_seconds = time.perf_counter() - start
    rows = len(labels)
    x_train = torch.from_numpy(ids.astype(np.int64))
    y_train = torch.from_numpy(labels).to(dtype)
    print(f"pytorch bench: {rows} rows ({skipped} skipped), {len(vocabulary.field_dims)} fields, "
          f"{sum(vocabulary.field_dims)} ids, read and encoded in {load_seconds:.1f} s; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads", file=sys.stderr)

    torch.manual_seed(args.seed)
    shuffle = torch.Generator().manual_seed(args.seed)
    model = CtrReference(vocabulary.field_dims, args.factors, mlp, args.dropout, dtype)
    model.xavier_initialize()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    leftover = torch.empty(0, dtype=torch.int64)
    epochs = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        begin = time.perf_counter()
        batches, leftover = rollover_batches(rows, args.batch, shuffle, leftover)
        loss_sum = 0.0
        for index in batches:
            loss = F.binary_cross_entropy_with_logits(model(x_train[index]), y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
        seconds = time.perf_counter() - begin
        samples = sum(len(index) for index in batches)
        epochs.append({"epoch": epoch, "seconds": seconds, "samples": samples,
                       "samples_per_second": samples / seconds,
                       "train_loss": loss_sum / len(batches)})
        print(f"pytorch epoch {epoch}: {samples} samples in {seconds:.2f} s, "
              f"{samples / seconds:,.0f} samples/s, loss {loss_sum / len(batches):.4f}",
              file=sys.stderr)

    model.eval()
    inference_batches = [x_train[i:i + args.batch] for i in range(0, rows - args.batch + 1,
                                                                     args.batch)][:64]
    inference_batches = inference_batches or [x_train]
    with torch.no_grad():
        for batch in inference_batches[:3]:  # warm-up
            model(batch)
        calls, samples, begin = 0, 0, time.perf_counter()
        while True:
            batch = inference_batches[calls % len(inference_batches)]
            model(batch)
            calls += 1
            samples += len(batch)
            seconds = time.perf_counter() - begin
            if seconds >= args.inference_seconds and calls >= 3:
                break
        inference = samples / seconds

        one_rows = [x_train[i:i + 1].clone() for i in range(min(rows, 4096))]
        for row in one_rows[:200]:  # warm-up
            model(row)
        nanoseconds = []
        for call in range(args.latency_calls):
            row = one_rows[call % len(one_rows)]
            begin = time.perf_counter_ns()
            model(row)
            nanoseconds.append(time.perf_counter_ns() - begin)
        nanoseconds.sort()

    train_samples = sum(e["samples"] for e in epochs)
    train_seconds = sum(e["seconds"] for e in epochs)
    blas = [part.split("=", 1)[1] for part in torch.__config__.show().replace(",", " ").split()
            if part.startswith("BLAS_INFO=")]
    result = {"system": "pytorch", "torch": torch.__version__, "torch_file": torch.__file__,
              "torch_blas": blas[0] if blas else "unknown",
              "threads": torch.get_num_threads(), "rows": rows, "skipped": skipped,
              "fields": len(vocabulary.field_dims), "ids": int(sum(vocabulary.field_dims)),
              "factors": args.factors, "mlp": mlp, "dropout": args.dropout, "lr": args.lr,
              "batch": args.batch, "load_seconds": load_seconds, "epochs": epochs,
              "train_samples_per_second": train_samples / train_seconds,
              "inference_samples_per_second": inference, "inference_batch": args.batch,
              "latency_calls": len(nanoseconds),
              "latency_p50_us": percentile(nanoseconds, 0.50) / 1e3,
              "latency_p99_us": percentile(nanoseconds, 0.99) / 1e3}
    print(f"pytorch: train {result['train_samples_per_second']:,.0f} samples/s, inference "
          f"{inference:,.0f} samples/s (batch {args.batch}), one row p50 "
          f"{result['latency_p50_us']:.1f} us p99 {result['latency_p99_us']:.1f} us",
          file=sys.stderr)
    line = json.dumps(result)
    if args.json:
        with open(args.json, "w") as f:
            f.write(line + "\n")
    else:
        print(line)
    return 0


# ---------------------------------------------------------------------------------------------
# self-check


def self_check(args):
    failures = []

    def expect(condition, what):
        if not condition:
            failures.append(what)

    # AUC with ties against the pair count.
    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(2, 40))
        scores = rng.integers(0, 6, n).astype(np.float64)  # few values: many ties
        labels = rng.integers(0, 2, n).astype(np.float32)
        if labels.min() == labels.max():
            expect(roc_auc(scores, labels) is None, "AUC of one class is None")
            continue
        got, want = roc_auc(scores, labels), roc_auc_brute_force(scores, labels)
        expect(abs(got - want) < 1e-12, f"AUC trial {trial}: {got} != brute force {want}")
    expect(roc_auc([0.1, 0.9], [0, 1]) == 1.0 and roc_auc([0.5, 0.5], [0, 1]) == 0.5,
           "AUC of tiny cases")

    # Criteo buckets: the examples in criteo_format.hpp.
    for raw, bucket in [(b"3", b"1"), (b"4", b"1"), (b"5", b"2"), (b"1382", b"52"), (b"2", b"0"),
                        (b"1", b"-1"), (b"0", b"-2"), (b"-1", b"-3"), (b"", b"NULL"),
                        (b"-9223372036854775808", b"-9223372036854775810")]:
        expect(criteo_integer_category(raw) == bucket, f"criteo bucket of {raw!r}")
    for bad in [b"1.5", b"+3", b" 3", b"0x1f", b"9223372036854775808"]:
        try:
            criteo_integer_category(bad)
            failures.append(f"criteo bucket of {bad!r} should be refused")
        except BadLine:
            pass

    # CSV quoting.
    expect(split_csv(b'a,"b,c","d""e",', b",") == [b"a", b"b,c", b'd"e', b""], "CSV quoting")

    # The d2l rules on the shared golden file, when present.
    data_dir = args.data_dir
    golden = os.path.join(data_dir, "d2l-ctr", "test_as_train_expected.json")
    if os.path.exists(golden):
        with open(golden) as f:
            want = json.load(f)
        records, _ = read_records(os.path.join(data_dir, "d2l-ctr", "test.csv"), D2lParser)
        vocabulary = Vocabulary(records, 4)
        ids, labels = vocabulary.encode(records)
        expect(vocabulary.field_dims == want["field_dims"], "d2l field_dims")
        expect(list(vocabulary.offsets) == want["offsets"], "d2l offsets")
        defaults = vocabulary.offsets + np.array(vocabulary.field_dims) - 1
        expect(int((ids == defaults).sum()) == want["oov_cells"], "d2l OOV count")
        for i, record in enumerate(want["first_records"]):
            expect(ids[i].tolist() == record["x"] and labels[i] == record["label"],
                   f"d2l record {i}")
        expect(ids[-1].tolist() == want["last_record"]["x"], "d2l last record")
        print(f"d2l rules: {len(records)} rows match {golden}")
    else:
        print(f"d2l rules: {golden} absent, not checked")

    for failure in failures:
        print("FAILED: " + failure)
    print("self-check " + ("failed" if failures else "passed"))
    return 1 if failures else 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.normpath(os.path.join(here, "..", "..", "..", "shared", "data"))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check-trajectory", help="replay a deepfm_trajectory_dump")
    check.add_argument("dump_dir")
    check.add_argument("--data", help="the d2l file the dump read (default: meta.json's)")
    check.add_argument("--rtol", type=float, default=1e-5,
                       help="largest relative loss difference allowed at any step")
    check.add_argument("--threads", type=int, default=1)
    check.add_argument("--torch-dtype", choices=["float32", "float64"],
                       help="replay in this precision (default: the dump's)")

    run = commands.add_parser("train", help="the reference's own training, test AUC/logloss")
    run.add_argument("--train", required=True)
    run.add_argument("--test", required=True)
    run.add_argument("--format", default="d2l", choices=["d2l", "criteo", "csv"])
    run.add_argument("--label-column", default="")
    run.add_argument("--drop-columns", default="")
    run.add_argument("--separator", default=",")
    run.add_argument("--min-count", type=int, default=4)
    run.add_argument("--strict", action="store_true")
    run.add_argument("--model", default="deepfm", choices=["deepfm", "fm"])
    run.add_argument("--epochs", type=int, default=30)
    run.add_argument("--eval-epochs", default="3,30")
    run.add_argument("--seeds", type=int, default=5)
    run.add_argument("--first-seed", type=int, default=1)
    run.add_argument("--batch", type=int, default=2048)
    run.add_argument("--lr", type=float, default=None, help="default 0.01 (deepfm), 0.02 (fm)")
    run.add_argument("--factors", type=int, default=None, help="default 10 (deepfm), 20 (fm)")
    run.add_argument("--mlp", default="30,20,10")
    run.add_argument("--dropout", type=float, default=0.1)
    run.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    run.add_argument("--dataset", help="name in the output (default: the train file's)")
    run.add_argument("--json", help="write one JSON line per seed and evaluated epoch here")
    run.add_argument("--threads", type=int, default=1)

    speed = commands.add_parser("bench", help="training, inference and one-row latency speed")
    speed.add_argument("--train", required=True, help="a d2l-format (or --format) file")
    speed.add_argument("--format", default="d2l", choices=["d2l", "criteo", "csv"])
    speed.add_argument("--label-column", default="")
    speed.add_argument("--drop-columns", default="")
    speed.add_argument("--separator", default=",")
    speed.add_argument("--min-count", type=int, default=4)
    speed.add_argument("--epochs", type=int, default=1)
    speed.add_argument("--batch", type=int, default=2048)
    speed.add_argument("--lr", type=float, default=0.01)
    speed.add_argument("--factors", type=int, default=10)
    speed.add_argument("--mlp", default="30,20,10")
    speed.add_argument("--dropout", type=float, default=0.1)
    speed.add_argument("--seed", type=int, default=1)
    speed.add_argument("--threads", type=int, default=1)
    speed.add_argument("--inference-seconds", type=float, default=2.0,
                       help="time the inference loop for at least this long")
    speed.add_argument("--latency-calls", type=int, default=5000)
    speed.add_argument("--json", help="write the figures as one JSON line here (else stdout)")

    selfcheck = commands.add_parser("self-check", help="AUC, Criteo buckets, CSV, d2l golden")
    selfcheck.add_argument("--data-dir", default=os.environ.get("DEEPFM_DATA_DIR", shared))

    args = parser.parse_args()
    if args.command == "check-trajectory":
        torch.set_num_threads(args.threads)
        return check_trajectory(args)
    if args.command == "train":
        return train(args)
    if args.command == "bench":
        return bench(args)
    return self_check(args)


if __name__ == "__main__":
    sys.exit(main())
