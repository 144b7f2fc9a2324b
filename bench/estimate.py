"""Validates EstimateTransfer (LogME) against what each base model reaches (docs/benchmarks.md).

For every task/base combination it builds here: EstimateTransfer on the task's dataset (LogME and
the linear probe), then a feature-extraction job per base on the same dataset (default split: the
same held-out fifth, the same cached features), and per task Kendall's tau-b between the LogME
ranking and the job's validation accuracy (or, for regression, minus its RMSE). Prints Markdown.

With FINE_TUNE=task,... (and FT_EPOCHS, default 3) it also fine-tunes every base on those tasks
and reports tau against the fine-tuned accuracy.

Data (all built here, small: the machine is shared):
  text    yelp sentiment, amazon sentiment, source (yelp vs amazon), from assets/sentiment
  vision  Fashion-MNIST (Debian's dataset-fashion-mnist), generated 20x20 digits (a 5x7 bitmap font,
          random scale/offset/stroke/noise), generated 32x32 colour shapes (shape is the label)
  series  vega-datasets: S&P 500 20-day direction, Seattle next-day weather, CO2 12-month rise
"""
import base64, csv, gzip, json, math, os, random, signal, struct, subprocess, sys, time, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients/python/src"))
import grpc  # noqa: E402
from graft_client._proto.graft.v1 import common_pb2, datasets_pb2, training_pb2  # noqa: E402
from graft_client._proto.graft.v1 import datasets_pb2_grpc, training_pb2_grpc  # noqa: E402

ASSETS = os.path.join(ROOT, "assets")
FASHION = "/usr/share/datasets/fashion-mnist"


# ---------- data ----------
def png(width, height, pixels, channels):
    """A PNG of 8-bit grey (channels 1) or RGB (3) rows."""
    kind = 0 if channels == 1 else 2
    raw = b"".join(b"\x00" + bytes(pixels[y * width * channels:(y + 1) * width * channels]) for y in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, kind, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def sentiment(name):
    with open(os.path.join(ASSETS, "sentiment", name + ".jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def text_tasks(n):
    rng = random.Random(1)
    yelp, amazon = sentiment("yelp"), sentiment("amazon")
    out = {}
    for name, rows in (("yelp-sentiment", yelp), ("amazon-sentiment", amazon)):
        rows = rows[:]
        rng.shuffle(rows)
        out[name] = [{"text": r["text"], "label": str(r["label"])} for r in rows[:n]]
    mixed = [{"text": r["text"], "label": "yelp"} for r in yelp] + [{"text": r["text"], "label": "amazon"} for r in amazon]
    rng.shuffle(mixed)
    out["source-yelp-vs-amazon"] = mixed[:n]
    return out


def fashion(per_class):
    with gzip.open(os.path.join(FASHION, "train-images-idx3-ubyte.gz")) as f:
        images = f.read()[16:]
    with gzip.open(os.path.join(FASHION, "train-labels-idx1-ubyte.gz")) as f:
        labels = f.read()[8:]
    index = list(range(len(labels)))
    random.Random(2).shuffle(index)
    taken, rows = {}, []
    for i in index:
        c = labels[i]
        if taken.get(c, 0) < per_class:
            taken[c] = taken.get(c, 0) + 1
            rows.append({"image": base64.b64encode(png(28, 28, images[i * 784:(i + 1) * 784], 1)).decode(),
                         "label": str(c)})
    return rows


FONT = {  # 5x7 bitmaps
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11110", "00001", "00001", "01110", "00001", "00001", "11110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}


def digits(per_class, side=20):
    rng = random.Random(3)
    rows = []
    for digit, glyph in FONT.items():
        for _ in range(per_class):
            sx, sy = rng.choice((2, 3)), 2
            w, h = 5 * sx, 7 * sy
            ox, oy = rng.randint(0, side - w), rng.randint(0, side - h)
            slant = rng.uniform(-0.25, 0.25)
            ink = rng.randint(170, 255)
            img = [0.0] * (side * side)
            for gy in range(7):
                for gx in range(5):
                    if glyph[gy][gx] == "1":
                        for dy in range(sy):
                            for dx in range(sx):
                                y = oy + gy * sy + dy
                                x = ox + gx * sx + dx + int(round(slant * (h / 2 - (gy * sy + dy))))
                                if 0 <= x < side and 0 <= y < side:
                                    img[y * side + x] = ink
            pixels = [max(0, min(255, int(v + rng.gauss(0, 25)))) for v in img]
            rows.append({"image": base64.b64encode(png(side, side, pixels, 1)).decode(), "label": digit})
    rng.shuffle(rows)
    return rows


def shapes(per_class, side=32):
    rng = random.Random(4)
    rows = []
    for shape in ("circle", "square", "triangle", "cross"):
        for _ in range(per_class):
            bg = [rng.randint(0, 255) for _ in range(3)]
            fg = [rng.randint(0, 255) for _ in range(3)]
            r = rng.uniform(5, 12)
            cx, cy = rng.uniform(r, side - r), rng.uniform(r, side - r)
            pixels = []
            for y in range(side):
                for x in range(side):
                    dx, dy = x - cx, y - cy
                    inside = {"circle": dx * dx + dy * dy <= r * r,
                              "square": abs(dx) <= r * 0.8 and abs(dy) <= r * 0.8,
                              "triangle": -r <= dy <= r and abs(dx) <= (dy + r) / 2,
                              "cross": (abs(dx) <= r / 4 and abs(dy) <= r) or (abs(dy) <= r / 4 and abs(dx) <= r)}[shape]
                    colour = fg if inside else bg
                    pixels.extend(max(0, min(255, int(c + rng.gauss(0, 12)))) for c in colour)
            rows.append({"image": base64.b64encode(png(side, side, pixels, 3)).decode(), "label": shape})
    rng.shuffle(rows)
    return rows


def read_csv(name):
    with open(os.path.join(ASSETS, "vega-datasets", name)) as f:
        return list(csv.DictReader(f))


def zscore(window):
    m = sum(window) / len(window)
    s = math.sqrt(sum((v - m) ** 2 for v in window) / len(window)) or 1.0
    return [round((v - m) / s, 5) for v in window]


def series_tasks(n):
    rng = random.Random(5)
    out = {}
    close = [float(r["close"]) for r in read_csv("sp500-2000.csv")]
    starts = rng.sample(range(0, len(close) - 64 - 20), n)
    out["sp500-20-day-direction"] = [{"series": zscore(close[s:s + 64]),
                                      "label": "up" if close[s + 64 + 19] > close[s + 63] else "down"} for s in starts]
    weather = read_csv("seattle-weather.csv")
    temps = [float(r["temp_max"]) for r in weather]
    starts = [s for s in range(0, len(weather) - 31) if weather[s + 30]["weather"] in ("sun", "rain")]
    starts = rng.sample(starts, min(n, len(starts)))
    out["seattle-next-day-sun-or-rain"] = [{"series": [round(t, 2) for t in temps[s:s + 30]],
                                            "label": weather[s + 30]["weather"]} for s in starts]
    co2 = [float(r["CO2"]) for r in read_csv("co2-concentration.csv")]
    starts = rng.sample(range(0, len(co2) - 36), min(n, len(co2) - 36))
    out["co2-12-month-rise"] = [{"series": [round(v - co2[s], 3) for v in co2[s:s + 24]],
                                 "value": round(co2[s + 35] - co2[s + 23], 3)} for s in starts]
    return out


# ---------- server ----------
def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upload(stub, name, domain, rows):
    body = "\n".join(json.dumps(r) for r in rows).encode()

    def requests():
        yield datasets_pb2.UploadDatasetRequest(spec=datasets_pb2.DatasetSpec(
            name=name, domain=domain, format=datasets_pb2.DATASET_FORMAT_JSONL))
        for i in range(0, len(body), 1 << 20):
            yield datasets_pb2.UploadDatasetRequest(chunk=common_pb2.DataChunk(data=body[i:i + (1 << 20)]))
    return stub.UploadDataset(requests(), timeout=600)


def train(stub, dataset, base, output, strategy, epochs=0):
    job = stub.Train(training_pb2.TrainRequest(
        base_model=base, strategy=strategy, output_model=output,
        train=common_pb2.DataSource(dataset=dataset),
        hyperparameters=training_pb2.Hyperparameters(epochs=epochs)), timeout=60)
    start = time.time()
    while True:
        j = stub.GetJob(training_pb2.GetJobRequest(id=job.id), timeout=60)
        if j.state in (training_pb2.JOB_STATE_SUCCEEDED, training_pb2.JOB_STATE_FAILED, training_pb2.JOB_STATE_CANCELLED):
            return j, time.time() - start
        time.sleep(1)


def final(job, name):
    for m in job.metrics:
        if m.name == name and m.split == "validation" and m.epoch == 0:
            return m.value
    return float("nan")


def kendall_tau_b(xs, ys):
    concordant = discordant = tx = ty = 0
    for i in range(len(xs)):
        for j in range(i + 1, len(xs)):
            dx, dy = xs[i] - xs[j], ys[i] - ys[j]
            if dx == 0 and dy == 0:
                continue
            if dx == 0:
                tx += 1
            elif dy == 0:
                ty += 1
            elif dx * dy > 0:
                concordant += 1
            else:
                discordant += 1
    denominator = math.sqrt((concordant + discordant + tx) * (concordant + discordant + ty))
    return (concordant - discordant) / denominator if denominator else float("nan")


def main():
    text_n = int(os.environ.get("TEXT_N", "800"))
    per_class = int(os.environ.get("IMAGE_PER_CLASS", "60"))
    series_n = int(os.environ.get("SERIES_N", "500"))
    domains = os.environ.get("DOMAINS", "nlp,vision,timeseries").split(",")
    work = os.environ.get("WORK", "/tmp/graft-estimate")
    os.makedirs(work, exist_ok=True)
    port = free_port()
    log = open(os.path.join(work, "graft.log"), "w")
    jar = os.environ.get("GRAFT_JAR", os.path.join(ROOT, "server/target/graft-server.jar"))
    proc = subprocess.Popen(["java", "-Dai.djl.offline=true", "-jar", jar,
                             "--port", str(port), "--http-port", "-1", "--store", os.path.join(work, "store")],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", 64 << 20),
                                                                      ("grpc.max_send_message_length", 64 << 20)])
        grpc.channel_ready_future(channel).result(timeout=300)
        datasets, training = datasets_pb2_grpc.DatasetServiceStub(channel), training_pb2_grpc.TrainingServiceStub(channel)
        tasks = []
        if "nlp" in domains:
            tasks += [("nlp", k, v) for k, v in text_tasks(text_n).items()]
        if "vision" in domains:
            tasks += [("vision", "fashion-mnist", fashion(per_class)), ("vision", "digits-20px", digits(per_class)),
                      ("vision", "colour-shapes-32px", shapes(per_class))]
        if "timeseries" in domains:
            tasks += [("timeseries", k, v) for k, v in series_tasks(series_n).items()]
        summary = []
        fine_tune = set(filter(None, os.environ.get("FINE_TUNE", "").split(",")))
        ft_epochs = int(os.environ.get("FT_EPOCHS", "3"))
        tuned_rows, tuned_tau = [], []
        print("| domain | task | n | base | LogME | probe | feature extraction (validation) | LogME s | job s |")
        print("|---|---|---:|---|---:|---:|---:|---:|---:|")
        for domain, name, rows in tasks:
            ds = upload(datasets, name, domain, rows)
            t0 = time.time()
            est = training.EstimateTransfer(training_pb2.EstimateTransferRequest(
                data=common_pb2.DataSource(dataset=ds.id)), timeout=1800)
            estimate_s = time.time() - t0
            regression = est.task == common_pb2.TASK_REGRESSION
            logme, probes, reached = [], [], []
            for e in est.estimates:
                job, job_s = train(training, ds.id, e.base_model.split("@")[0], f"{name}-{e.base_model.split('@')[0]}",
                                   "feature-extraction")
                if job.state != training_pb2.JOB_STATE_SUCCEEDED:
                    print(f"<!-- {name} {e.base_model}: job {training_pb2.JobState.Name(job.state)} {job.error.message} -->")
                    continue
                value = -final(job, "rmse") if regression else final(job, "accuracy")
                logme.append(e.logme)
                probes.append(e.probe_score if e.HasField("probe_score") else float("nan"))
                reached.append(value)
                metric = f"RMSE {-value:.4f}" if regression else f"accuracy {value:.4f}"
                probe = (f"R² {e.probe_score:.3f}" if regression else f"{e.probe_score:.3f}") if e.HasField("probe_score") else "–"
                print(f"| {domain} | {name} | {est.examples} | {e.base_model} | {e.logme:.4f} | {probe} | {metric} "
                      f"| {e.seconds:.1f} | {job_s:.1f} |", flush=True)
            tau = kendall_tau_b(logme, reached) if len(logme) > 1 else float("nan")
            probe_tau = kendall_tau_b(probes, reached) if len(logme) > 1 else float("nan")
            summary.append((domain, name, len(logme), tau, probe_tau, estimate_s))
            if name in fine_tune:
                tuned_logme, tuned = [], []
                for e in est.estimates:
                    base = e.base_model.split("@")[0]
                    job, job_s = train(training, ds.id, base, f"{name}-{base}-ft", "fine-tuning", ft_epochs)
                    if job.state != training_pb2.JOB_STATE_SUCCEEDED:
                        tuned_rows.append(f"| {name} | {e.base_model} | {e.logme:.4f} | not trainable: "
                                          f"{job.error.message[:90]} | {job_s:.1f} |")
                        continue
                    value = -final(job, "rmse") if regression else final(job, "accuracy")
                    tuned_logme.append(e.logme)
                    tuned.append(value)
                    tuned_rows.append(f"| {name} | {e.base_model} | {e.logme:.4f} | {value:.4f} | {job_s:.1f} |")
                    print(tuned_rows[-1], flush=True)
                tuned_tau.append((name, len(tuned), kendall_tau_b(tuned_logme, tuned) if len(tuned) > 1 else float("nan")))
        print()
        print("| domain | task | bases | Kendall τ-b, LogME vs feature extraction | τ-b, probe vs feature extraction"
              " | EstimateTransfer s |")
        print("|---|---|---:|---:|---:|---:|")
        for domain, name, bases, tau, probe_tau, seconds in summary:
            shown = "n/a (one base)" if bases < 2 else f"{tau:+.2f}"
            probe_shown = "n/a" if bases < 2 or math.isnan(probe_tau) else f"{probe_tau:+.2f}"
            print(f"| {domain} | {name} | {bases} | {shown} | {probe_shown} | {seconds:.1f} |")
        for domain in domains:
            taus = [t for d, _, b, t, _, _ in summary if d == domain and b > 1 and not math.isnan(t)]
            if taus:
                print(f"\n{domain}: mean τ-b (LogME) over {len(taus)} tasks = {sum(taus) / len(taus):+.2f}")
        if tuned_rows:
            print(f"\n| task | base | LogME | fine-tuning ({ft_epochs} epochs) validation accuracy | job s |")
            print("|---|---|---:|---:|---:|")
            print("\n".join(tuned_rows))
            for name, bases, tau in tuned_tau:
                print(f"\n{name}: Kendall τ-b (LogME vs fine-tuning) over {bases} bases = "
                      + ("n/a" if math.isnan(tau) else f"{tau:+.2f}"))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


if __name__ == "__main__":
    main()
