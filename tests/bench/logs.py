"""The logs benchmark (issue 14): what `wsdeploy logs` costs under its rate limit.

    tests/bench/run --logs [--runs N]

On the emulator at 50 ms per request, for generated apps of 5 and of 50
functions whose log groups each hold a few events:

1. one-shot `wsdeploy logs`: the time from starting the process to its
   first line on stdout (and to its end), median of N runs, and the calls
   it made;
2. `wsdeploy logs --follow` for a few rounds: CloudWatch Logs calls per
   round, how long a round takes, and the most calls that arrived within
   any one second (the limiter allows 4).

Writes its section of docs/benchmarks.md between the markers
`<!-- logs-benchmark -->` and `<!-- /logs-benchmark -->` (bench.py and
build.py keep that section when they rewrite theirs). Everything talks to
127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import bench
from bench import ROOT, Emulator, log, tool_env

START = "<!-- logs-benchmark -->"
END = "<!-- /logs-benchmark -->"
REPORT = ROOT / "docs" / "benchmarks.md"
LATENCY_MS = 50
SIZES = (5, 50)
EVENTS_PER_GROUP = 3
# --follow runs this long per size: a handful of rounds each.
FOLLOW_S = {5: 10.0, 50: 45.0}


def generated_app(dest: Path, functions: int) -> tuple[Path, str]:
    """An app of `functions` functions, one per route (not deployed: the
    benchmark needs their log groups, which it writes itself)."""
    app = f"logsbench{functions}"
    (dest / "src").mkdir(parents=True)
    routes = []
    for i in range(functions):
        (dest / "src" / f"f{i}.mjs").write_text(
            "export const handler = async () => ({ statusCode: 200 });\n"
        )
        routes.append(f"  r{i}: src/f{i}.handler")
    (dest / "wsdeploy.yml").write_text(
        f"app: {app}\nregion: us-east-1\nroutes:\n" + "\n".join(routes) + "\n"
    )
    return dest / "wsdeploy.yml", app


def seed_groups(endpoint: str, app: str, functions: int) -> None:
    import boto3  # the emulator's virtualenv has it (moto needs it)

    client = boto3.client(
        "logs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    now = int(time.time() * 1000)
    for i in range(functions):
        group = f"/aws/lambda/{app}-dev-r{i}"
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName="bench")
        client.put_log_events(
            logGroupName=group,
            logStreamName="bench",
            logEvents=[
                {"timestamp": now - 60_000 + k * 1_000 + i, "message": f"event {k} of r{i}\n"}
                for k in range(EVENTS_PER_GROUP)
            ],
        )


def logs_calls(emulator: Emulator) -> list[dict[str, Any]]:
    return sorted((c for c in emulator.calls() if c["service"] == "logs"), key=lambda c: c["time"])


def busiest_second(calls: list[dict[str, Any]]) -> int:
    times = [c["time"] for c in calls]
    return max((sum(1 for u in times if t <= u < t + 1.0) for t in times), default=0)


def one_shot(
    binary: Path, config: Path, env: dict[str, str], emulator: Emulator, functions: int, runs: int
) -> dict[str, Any]:
    firsts, totals, calls = [], [], []
    for _ in range(runs):
        # A pause, so that each run starts with its limiter's window clear.
        time.sleep(1.2)
        emulator.clear_calls()
        started = time.monotonic()
        proc = subprocess.Popen(
            [str(binary), "logs", "-c", str(config)],
            cwd=config.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        first = proc.stdout.readline()
        first_s = time.monotonic() - started
        rest = proc.stdout.read()
        code = proc.wait()
        total_s = time.monotonic() - started
        lines = (first + rest).decode().count("\n")
        if code != 0 or lines != functions * EVENTS_PER_GROUP:
            raise SystemExit(f"logs of {functions} functions: exit {code}, {lines} lines")
        firsts.append(first_s)
        totals.append(total_s)
        calls.append(logs_calls(emulator))
    made = calls[len(calls) // 2]
    result = {
        "first_line_s": firsts,
        "total_s": totals,
        "filter_calls": sum(1 for c in made if c["operation"] == "FilterLogEvents"),
        "describe_calls": sum(1 for c in made if c["operation"] == "DescribeLogGroups"),
        "busiest_second": max(busiest_second(c) for c in calls),
    }
    log(
        f"logs, {functions} functions: first line after {statistics.median(firsts):.2f} s "
        f"(median of {runs}), {result['describe_calls']} + {result['filter_calls']} calls"
    )
    return result


def follow(
    binary: Path, config: Path, env: dict[str, str], emulator: Emulator, functions: int
) -> dict[str, Any]:
    time.sleep(1.2)
    emulator.clear_calls()
    proc = subprocess.Popen(
        [str(binary), "logs", "--follow", "-c", str(config)],
        cwd=config.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(FOLLOW_S[functions])
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    if code != 0:
        raise SystemExit(f"logs --follow of {functions} functions exited {code} on Ctrl-C")
    calls = logs_calls(emulator)
    filters = [c for c in calls if c["operation"] == "FilterLogEvents"]
    # Every group fits in one page, so each round is `functions` calls in a row.
    starts = [filters[k]["time"] for k in range(0, len(filters) - functions + 1, functions)]
    periods = [b - a for a, b in pairwise(starts)]
    result = {
        "seconds": FOLLOW_S[functions],
        "filter_calls": len(filters),
        "describe_calls": sum(1 for c in calls if c["operation"] == "DescribeLogGroups"),
        "rounds": len(filters) / functions,
        "round_s": periods,
        "calls_per_s": len(calls) / (calls[-1]["time"] - calls[0]["time"]) if len(calls) > 1 else 0,
        "busiest_second": busiest_second(calls),
    }
    log(
        f"logs --follow, {functions} functions: {result['rounds']:.1f} rounds in "
        f"{FOLLOW_S[functions]:.0f} s, round {statistics.mean(periods):.2f} s, "
        f"busiest second {result['busiest_second']} calls"
    )
    return result


def measure(binary: Path, scratch: Path, runs: int) -> dict[str, Any]:
    emulator = Emulator(LATENCY_MS, "none", "none")
    try:
        env = tool_env(emulator.url, scratch / "home")
        (scratch / "home").mkdir(exist_ok=True)
        results: dict[str, Any] = {}
        for n in SIZES:
            config, app = generated_app(scratch / f"app-{n}", n)
            seed_groups(emulator.url, app, n)
            results[str(n)] = {
                "one_shot": one_shot(binary, config, env, emulator, n, runs),
                "follow": follow(binary, config, env, emulator, n),
            }
        return results
    finally:
        emulator.stop()


def section(machine: dict[str, Any], results: dict[str, Any], runs: int) -> str:
    lines = [
        START,
        "## Reading logs (issue 14)",
        "",
        f"Measured with `tests/bench/run --logs` ({runs} runs of each one-shot read, medians) "
        f"on {machine.get('cpu', 'this machine')}, {machine.get('cpus', '?')} CPUs, at commit "
        f"{machine.get('commit', '?')}; `tests/bench/logs.py` says how. The emulator answers "
        f"every request after {LATENCY_MS} ms; each function's log group holds "
        f"{EVENTS_PER_GROUP} events. Every CloudWatch Logs call of one `wsdeploy logs` "
        "holds a place in one limiter from its start to its answer: a call starts only a "
        "second after the call 4 places before it was answered, so at most 4 reach AWS in "
        "any second, however long each takes to get there.",
        "",
        "| functions | one-shot: first line | its calls | `--follow`: calls per round | "
        "round length | most calls in one second |",
        "|---|---|---|---|---|---|",
    ]
    for n, r in results.items():
        shot, fol = r["one_shot"], r["follow"]
        per_round = fol["filter_calls"] / fol["rounds"] if fol["rounds"] else 0
        busiest = max(shot["busiest_second"], fol["busiest_second"])
        lines.append(
            f"| {n} | {statistics.median(shot['first_line_s']):.2f} s "
            f"(end {statistics.median(shot['total_s']):.2f} s) | "
            f"{shot['describe_calls']} DescribeLogGroups + {shot['filter_calls']} FilterLogEvents | "
            f"{per_round:.0f} FilterLogEvents | "
            f"{statistics.mean(fol['round_s']):.2f} s | {busiest} |"
        )
    lines += [
        "",
        "A one-shot read prints once every group is read (the lines are merged by time), so "
        "its first line comes with its last. Its calls are one listing of the app's groups "
        "and one FilterLogEvents per group: 4 start at once, the rest wait for the window, "
        "so 5 functions take one window more than 3 would, and 50 take 13 windows of 1 s "
        f"plus one answer ({LATENCY_MS} ms here). A `--follow` round reads every group once, "
        "so it lasts about (groups / 4) windows, and at least 1 s; it looks for missing "
        "groups again (one more DescribeLogGroups) every 30 s, only when some are missing. "
        "The round length is the mean time between the starts of consecutive rounds; the "
        "last column is read off the emulator's call log (when each request arrived).",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    report = REPORT.read_text() if REPORT.exists() else ""
    if START in report and END in report:
        before = report.split(START)[0]
        after = report.split(END, 1)[1]
        report = before + text.rstrip("\n") + after
    else:
        report = report.rstrip("\n") + "\n\n" + text
    REPORT.write_text(report)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tests/bench/run --logs", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--no-report", action="store_true", help="print, do not write docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    if not bench.WSDEPLOY.exists():
        print(f"missing {bench.WSDEPLOY}: run tests/bench/run --logs", file=sys.stderr)
        return 2
    bench.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wsdeploy-logs-bench-") as tmp:
        scratch = Path(tmp)
        binary = scratch / "wsdeploy"
        shutil.copy2(bench.WSDEPLOY, binary)
        try:
            results = measure(binary, scratch, args.runs)
        finally:
            bench.stop_all_emulators()
        machine = bench.machine()
    (bench.RESULTS_DIR / "logs-results.json").write_text(
        json.dumps({"machine": machine, "results": results}, indent=2)
    )
    text = section(machine, results, args.runs)
    if args.no_report:
        print(text)
    else:
        write_section(text)
        log(f"wrote the logs section of {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
