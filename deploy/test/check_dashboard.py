#!/usr/bin/env python3
"""Static checks of the Grafana dashboard deploy/grafana/graft-dashboard.json (no Grafana or
Prometheus needed): it is JSON that imports as is (a `datasource` variable of type prometheus that
every panel and query uses, a Replica variable `instance`, unique panel ids, panels on the 24-column
grid without overlaps, a unit on every panel), and every PromQL expression names only metrics the
server exports (METRICS below, the names of server/.../telemetry and the Prometheus Java client's
JVM and process metrics), each filtered by the Replica variable; every one of those metrics is
shown somewhere. With promql-parser importable (deploy/test/run installs it), every expression
is also parsed as PromQL. Prints "ok <check>" lines; exits 1 on the first failure."""
import json
import os
import re
import sys

try:
    import promql_parser
except ImportError:
    promql_parser = None

root = sys.argv[1] if len(sys.argv) > 1 else "."
PATH = "deploy/grafana/graft-dashboard.json"

# name -> type. Counters carry _total in their name; histograms are classic (…_bucket, _sum,
# _count); the JVM's GC summary has no quantiles (…_sum, _count).
METRICS = {
    "graft_rpc_requests_total": "counter",
    "graft_rpc_duration_seconds": "histogram",
    "graft_refusals_total": "counter",
    "graft_inference_inputs_total": "counter",
    "graft_inference_duration_seconds": "histogram",
    "graft_inference_batch_size": "histogram",
    "graft_inference_slot_wait_seconds": "histogram",
    "graft_jobs": "gauge",
    "graft_job_duration_seconds": "histogram",
    "graft_training_steps_total": "counter",
    "graft_job_loss": "gauge",
    "graft_pool_slots": "gauge",
    "graft_pool_slots_busy": "gauge",
    "graft_pool_queue_depth": "gauge",
    "graft_pool_queue_capacity": "gauge",
    "graft_store_models": "gauge",
    "graft_store_datasets": "gauge",
    "graft_store_bytes": "gauge",
    "graft_store_free_bytes": "gauge",
    "graft_models_loaded": "gauge",
    "graft_models_loaded_bytes": "gauge",
    "process_resident_memory_bytes": "gauge",
    "process_cpu_seconds_total": "counter",
    "jvm_memory_used_bytes": "gauge",
    "jvm_gc_collection_seconds": "summary",
    "jvm_threads_current": "gauge",
}
SUFFIXES = {"counter": [""], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"], "summary": ["_sum", "_count"]}
SERIES = {name + suffix: name for name, kind in METRICS.items() for suffix in SUFFIXES[kind]}

# PromQL words that are not metric names: operators and modifiers (functions and aggregations are
# recognised by the parenthesis that follows them).
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
            "group_right", "inf", "nan", "atan2"}
REPLICA = 'instance=~"$instance"'
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
UNIT_PANELS = {"timeseries", "stat", "gauge", "bargauge", "heatmap"}


def fail(why):
    sys.exit("FAIL dashboard: " + why)


def metric_selectors(expr):
    """[(name, label matchers or "")] for every metric name the PromQL expression selects."""
    # Mask string literals (their contents may hold anything: "$1", braces) and Grafana variables,
    # keeping positions, so that a match in the masked text is the same span of `expr`.
    blank = lambda m: " " * len(m.group())
    strings = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', lambda m: '"' + " " * (len(m.group()) - 2) + '"',
                     expr)
    strings = re.sub(r"\$\{[^}]*\}|\$\w+", blank, strings)
    # Blank what holds label names or durations, not metrics: {matchers}, [ranges],
    # by/without/on/ignoring/group_x (labels), offset durations.
    masked = strings
    for pattern in (r"\{[^{}]*\}", r"\[[^\]]*\]", r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
                    r"\boffset\s+-?\w+"):
        masked = re.sub(pattern, blank, masked)
    found = []
    for m in re.finditer(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+|[A-Za-z_:][A-Za-z0-9_:]*", masked):
        word = m.group()
        if word[0].isdigit() or word[0] == "." or word.lower() in KEYWORDS:
            continue
        if re.match(r"\s*\(", masked[m.end():]):  # a function or an aggregation
            continue
        selector = re.compile(r"\s*\{([^{}]*)\}").match(strings, m.end())
        found.append((word, expr[selector.start(1):selector.end(1)] if selector else ""))
    return found


def check_expr(expr, where):
    bare = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', expr)
    if any(bare.count(a) != bare.count(b) for a, b in ("()", "{}", "[]")):
        fail("%s: unbalanced brackets in %r" % (where, expr))
    if promql_parser is not None:
        # Grafana's interval variables stand for durations; others ($instance) sit inside strings.
        try:
            promql_parser.parse(re.sub(r"\$\{?__(?:rate_interval|interval|range)\}?", "5m", expr))
        except ValueError as e:
            fail("%s: not PromQL (promql-parser: %s): %r" % (where, e, expr))
    names = metric_selectors(expr)
    if not names:
        fail("%s: no metric in %r" % (where, expr))
    for name, matchers in names:
        if name not in SERIES:
            base = next((b for b in METRICS if name.startswith(b)), None)
            hint = " (a %s: use %s)" % (METRICS[base], ", ".join(base + s for s in SUFFIXES[METRICS[base]])) \
                if base else ""
            fail("%s: %r is not a metric the server exports%s, in %r" % (where, name, hint, expr))
        if REPLICA not in matchers.replace(" ", ""):
            fail("%s: %s is not filtered by the Replica variable (%s), in %r" % (where, name, REPLICA, expr))
    return {SERIES[name] for name, _ in names}


with open(os.path.join(root, PATH)) as f:
    dashboard = json.load(f)
print("ok %s parses" % PATH)

if not 36 <= dashboard.get("schemaVersion", 0) <= 41:
    fail("schemaVersion %s: expected about 39 (Grafana 10.4 to 11)" % dashboard.get("schemaVersion"))
if dashboard.get("id") is not None:
    fail("id must be null (Grafana assigns it on import)")
if not dashboard.get("uid") or not dashboard.get("title"):
    fail("the dashboard needs a uid and a title")

variables = {v["name"]: v for v in dashboard.get("templating", {}).get("list", [])}
datasource = variables.get("datasource")
if not datasource or datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
    fail("needs a template variable `datasource` of type datasource, query prometheus")
replica = variables.get("instance")
if not replica or replica.get("type") != "query" or replica.get("datasource") != DATASOURCE:
    fail("needs a query variable `instance` on ${datasource}")
replica_query = replica["query"]["query"] if isinstance(replica["query"], dict) else replica["query"]
if replica_query != "label_values(graft_rpc_requests_total, instance)":
    fail("variable instance must be label_values(graft_rpc_requests_total, instance), not %r" % replica_query)
if not replica.get("includeAll") or not replica.get("multi") or replica.get("allValue"):
    fail("variable instance: multi-value with All, and no allValue (All must mean Graft's instances only, not .*)")
print("ok variables: datasource (prometheus), instance from label_values(graft_rpc_requests_total, instance)")

ids = set()
used = set()
cells = {}
expressions = 0
rows = []


def walk(panels):
    for panel in panels:
        yield panel
        yield from walk(panel.get("panels", []))


for panel in walk(dashboard.get("panels", [])):
    title = panel.get("title", "(untitled)")
    if panel.get("id") in ids or not isinstance(panel.get("id"), int):
        fail("panel %r: missing or duplicate id %s" % (title, panel.get("id")))
    ids.add(panel["id"])
    pos = panel.get("gridPos", {})
    if not all(isinstance(pos.get(k), int) for k in ("x", "y", "w", "h")) or pos["x"] < 0 or pos["x"] + pos["w"] > 24:
        fail("panel %r: gridPos %s is off the 24-column grid" % (title, pos))
    for x in range(pos["x"], pos["x"] + pos["w"]):
        for y in range(pos["y"], pos["y"] + pos["h"]):
            if (x, y) in cells:
                fail("panel %r overlaps panel %r" % (title, cells[(x, y)]))
            cells[(x, y)] = title
    if panel.get("type") == "row":
        rows.append(title)
        continue
    if panel.get("datasource") != DATASOURCE:
        fail("panel %r: datasource must be %s" % (title, DATASOURCE))
    if panel.get("type") in UNIT_PANELS and not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
        fail("panel %r: no unit (fieldConfig.defaults.unit)" % title)
    targets = panel.get("targets", [])
    if not targets:
        fail("panel %r has no queries" % title)
    if len({t.get("refId") for t in targets}) != len(targets):
        fail("panel %r: duplicate refIds" % title)
    for target in targets:
        if target.get("datasource", DATASOURCE) != DATASOURCE:
            fail("panel %r: query %s has another datasource" % (title, target.get("refId")))
        used |= check_expr(target.get("expr", ""), "panel %r query %s" % (title, target.get("refId")))
        expressions += 1
print("ok %d panels in rows %s: unique ids, on the grid, no overlaps, units, datasource ${datasource}"
      % (len(ids) - len(rows), ", ".join(rows)))
print("ok %d PromQL expressions %sname only exported metrics, each filtered by %s"
      % (expressions, "parse (promql-parser) and " if promql_parser else "", REPLICA))
if promql_parser is None:
    print("skip PromQL syntax: promql-parser is not installed (pip install promql-parser)")

missing = sorted(set(METRICS) - used)
if missing:
    fail("metrics shown nowhere: %s" % ", ".join(missing))
print("ok every one of the %d exported metrics is shown" % len(METRICS))
