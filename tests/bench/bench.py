"""wsdeploy against AWS Chalice on the local AWS emulator, and wsdeploy at scale.

Run through ``tests/bench/run`` (which installs and builds what this needs);
docs/benchmarks.md describes the method and holds the results. Standard
library only; every network request goes to an emulator on 127.0.0.1.

    tests/bench/run [--runs N] [--quick] [--output FILE] [--scale-runs 10:3,100:3,300:3]
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import heapq
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "bench"
# The launcher that measures a command's own peak RSS and wall time (rss.rs;
# tests/bench/run builds it).
LAUNCHER = Path(os.environ.get("WSDEPLOY_BENCH_LAUNCHER") or ROOT / "target" / "bench" / "rss")
# The release binary (tests/bench/run builds it); main() runs a private copy.
WSDEPLOY = Path(os.environ.get("WSDEPLOY_BENCH_BINARY") or ROOT / "target" / "release" / "wsdeploy")
VENV = ROOT / ".venv"
CHALICE = VENV / "bin" / "chalice"
EMULATOR_RUN = ROOT / "tests" / "emulator" / "run"
WSDEPLOY_APP = ROOT / "fixtures" / "bench"
CHALICE_APP = BENCH / "chalice_app"
RESULTS_DIR = ROOT / "target" / "bench"

TOOLS = ("wsdeploy", "chalice")
SCENARIOS = ("create", "noop", "one-handler", "remove")
SCENARIO_TITLES = {
    "create": "create from nothing",
    "noop": "no-op redeploy",
    "one-handler": "one handler changed",
    "remove": "remove",
}
LATENCIES = (0, 50)
TARGET_LATENCY = 50
VALIDATE_ROUTES = 300
APIGW_RATE = 10.0  # requests per second, the emulator's quota (profile `quotas`)

# The edit that makes "one handler changed": the $default handler of each app.
WSDEPLOY_EDIT = (
    "handlers/default.py",
    'Data=(event.get("body") or "").encode(),',
    'Data=("echo: " + (event.get("body") or "")).encode(),',
)
CHALICE_EDIT = (
    "app.py",
    "app.websocket_api.send(event.connection_id, event.body)",
    'app.websocket_api.send(event.connection_id, "echo: " + event.body)',
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the emulator -------------------------------------------------------------

NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
RUNNING: list[Emulator] = []


class Emulator:
    """One emulator process on 127.0.0.1; stops when ``stop`` is called or
    when this process dies (it watches its stdin, which we hold)."""

    def __init__(self, latency_ms: int, profile: str, page_size: str) -> None:
        self.settings = {"latency_ms": latency_ms, "profile": profile, "page_size": page_size}
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [
                str(EMULATOR_RUN),
                "--port",
                "0",
                "--latency-ms",
                str(latency_ms),
                "--profile",
                profile,
                "--page-size",
                page_size,
                "--exit-on-stdin-eof",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            start_new_session=True,  # Ctrl-C reaches us; we stop it ourselves
        )
        RUNNING.append(self)
        self.url = ""
        deadline = time.monotonic() + 120
        buffer = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if self.proc.poll() is not None:
                break
            if not ready:
                continue
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            buffer += chunk
            lines = buffer.decode(errors="replace").splitlines()
            for line in lines:
                if line.startswith("listening "):
                    self.url = line.split(" ", 1)[1].strip()
            if "ready" in lines and self.url:
                break
        if not self.url.startswith("http://127.0.0.1:") or self.proc.poll() is not None:
            self.stop()
            self.stderr.seek(0)
            raise SystemExit(
                "the emulator did not start:\n" + self.stderr.read().decode(errors="replace")
            )

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with NO_PROXY.open(request, timeout=60) as answer:
            return json.loads(answer.read())

    def reset(self) -> None:
        self._request("POST", "/_wsdeploy/reset")

    def calls(self) -> list[dict[str, Any]]:
        return self._request("GET", "/_wsdeploy/calls")["calls"]

    def clear_calls(self) -> None:
        self._request("DELETE", "/_wsdeploy/calls")

    def stop(self) -> None:
        if self in RUNNING:
            RUNNING.remove(self)
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def stop_all_emulators() -> None:
    for emulator in list(RUNNING):
        emulator.stop()


# -- running a tool -------------------------------------------------------------


@dataclass
class Measure:
    wall_s: float
    rss_kb: int
    exit_code: int
    started: float  # Unix time, same clock as the emulator's call log
    ended: float
    cpu_s: float = 0.0  # user + system time of the process (and its children)
    calls: list[dict[str, Any]] = field(default_factory=list)
    stdout: str = ""
    failures: int = 0  # actions the tool reports as failed (wsdeploy JSON)

    def summary(self) -> dict[str, Any]:
        calls = self.calls
        ok = [c for c in calls if c["status"] < 400]
        first = min((c["time"] for c in calls), default=None)
        last = max((c["time"] + c["duration_ms"] / 1000 for c in calls), default=None)
        chain = critical_path(calls)
        apigw_writes = [c["time"] for c in ok if c["mutating"] and c["service"] == "apigateway"]
        mutating_ops: dict[str, int] = {}
        for c in calls:
            if c["mutating"]:
                key = f"{c['operation']}" + ("" if c["status"] < 400 else f" ({c['status']})")
                mutating_ops[key] = mutating_ops.get(key, 0) + 1
        return {
            "wall_s": self.wall_s,
            "cpu_s": self.cpu_s,
            "rss_mb": self.rss_kb / 1024,
            "exit_code": self.exit_code,
            "failures": self.failures,
            "calls": len(calls),
            "mutating": sum(1 for c in calls if c["mutating"]),
            "errors": sum(1 for c in calls if c["status"] >= 400),
            "throttled": sum(
                1 for c in calls if c["status"] == 429 or c["fault"] in ("throttle", "quota")
            ),
            "apigw_mutating_ok": sum(
                1 for c in ok if c["mutating"] and c["service"] == "apigateway"
            ),
            "depth": len(chain),
            "chain": [
                c["operation"] + ("" if c["status"] < 400 else f" ({c['status']})") for c in chain
            ],
            "apigw_writes_from_s": (min(apigw_writes) - self.started) if apigw_writes else None,
            "apigw_writes_to_s": (max(apigw_writes) - self.started) if apigw_writes else None,
            "before_first_call_s": (first - self.started) if first is not None else self.wall_s,
            "calls_span_s": (last - first) if first is not None else 0.0,
            "after_last_call_s": (self.ended - last) if last is not None else 0.0,
            "mutating_ops": mutating_ops,
            "services": sorted({c["service"] for c in calls}),
        }


def critical_path(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The longest chain of calls, each arriving after the previous one was
    answered (emulator-side arrival time and duration): the sequential round
    trips. Its length is the critical-path depth."""
    order = sorted(range(len(calls)), key=lambda i: calls[i]["time"])
    unfinished: list[tuple[float, int, int]] = []  # heap of (end, depth, index)
    best = (0, -1)  # (depth, index) of the deepest chain that has ended
    previous: dict[int, int] = {}
    deepest = (0, -1)
    for i in order:
        start = calls[i]["time"]
        while unfinished and unfinished[0][0] <= start:
            end, depth, j = heapq.heappop(unfinished)
            if depth > best[0]:
                best = (depth, j)
        previous[i] = best[1]
        depth = best[0] + 1
        if depth > deepest[0]:
            deepest = (depth, i)
        heapq.heappush(unfinished, (start + calls[i]["duration_ms"] / 1000.0, depth, i))
    chain = []
    i = deepest[1]
    while i >= 0:
        chain.append(calls[i])
        i = previous[i]
    return chain[::-1]


def chain_text(operations: list[str]) -> str:
    """``A → B ×3 → C``: a chain of operations, repeats folded."""
    parts: list[str] = []
    for op in operations:
        if parts and parts[-1][0] == op:
            parts[-1][1] += 1
        else:
            parts.append([op, 1])
    return " → ".join(f"{op} ×{n}" if n > 1 else op for op, n in parts)


def tool_env(endpoint: str, home: Path) -> dict[str, str]:
    """A clean environment: dummy credentials, no AWS files, no proxies, and
    the emulator as the endpoint of every AWS service."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def run_process(argv: list[str], cwd: Path, env: dict[str, str], log_file: Path) -> Measure:
    """Run one command under the launcher (rss.rs), which reports the
    command's wall time and its own peak RSS (ru_maxrss of its process and
    of any child it waited for)."""
    with open(log_file, "ab") as err, tempfile.TemporaryDirectory() as tmp:
        err.write(f"$ {' '.join(argv)}\n".encode())
        err.flush()
        figures = Path(tmp) / "figures"
        out_path = Path(tmp) / "stdout"
        with open(out_path, "wb") as out:
            started = time.time()
            code = subprocess.call(
                [str(LAUNCHER), str(figures), *argv],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            ended = time.time()
        stdout = out_path.read_bytes().decode(errors="replace")
        err.write(stdout.encode())
        try:
            rss_kb, wall_ns, cpu_us = (int(x) for x in figures.read_text().split())
        except (OSError, ValueError) as error:
            raise Failure(f"the launcher reported nothing for {argv[0]} ({error})") from error
    return Measure(wall_ns / 1e9, rss_kb, code, started, ended, cpu_s=cpu_us / 1e6, stdout=stdout)


class Failure(RuntimeError):
    pass


class Tool:
    name = ""

    def __init__(self, workdir: Path, endpoint: str, log_file: Path, home: Path) -> None:
        self.workdir = workdir
        self.endpoint = endpoint
        self.log_file = log_file
        self.env = tool_env(endpoint, home)

    def run(self, scenario: str, emulator: Emulator, prefix: list[str] | None = None) -> Measure:
        if scenario == "one-handler":
            self.edit()
        emulator.clear_calls()
        measure = run_process(
            (prefix or []) + self.argv(scenario), self.workdir, self.env, self.log_file
        )
        measure.calls = emulator.calls()
        self.check(scenario, measure)
        return measure

    def edit(self) -> None:
        path, old, new = self.EDIT
        file = self.workdir / path
        text = file.read_text()
        if old not in text:
            raise Failure(f"{self.name}: cannot make the one-handler edit in {file}")
        file.write_text(text.replace(old, new, 1))

    def check(self, scenario: str, measure: Measure) -> None:
        if measure.exit_code != 0:
            raise Failure(
                f"{self.name} {scenario} exited with {measure.exit_code}; see {self.log_file}"
            )


class WsdeployTool(Tool):
    name = "wsdeploy"
    EDIT = WSDEPLOY_EDIT

    def argv(self, scenario: str) -> list[str]:
        command = ["remove", "--yes"] if scenario == "remove" else ["deploy"]
        return [str(WSDEPLOY), *command, "--output", "json", "--endpoint-url", self.endpoint]

    def check(self, scenario: str, measure: Measure) -> None:
        try:
            result = json.loads(measure.stdout).get("result") or {}
            measure.failures = len(result.get("failed") or []) + len(result.get("notStarted") or [])
        except ValueError:
            measure.failures = -1
        super().check(scenario, measure)


class ChaliceTool(Tool):
    name = "chalice"
    EDIT = CHALICE_EDIT

    def argv(self, scenario: str) -> list[str]:
        command = "delete" if scenario == "remove" else "deploy"
        return [str(CHALICE), command, "--stage", "dev"]


def make_tool(name: str, scratch: Path, endpoint: str, log_file: Path) -> Tool:
    workdir = scratch / name
    if workdir.exists():
        shutil.rmtree(workdir)
    source = WSDEPLOY_APP if name == "wsdeploy" else CHALICE_APP
    shutil.copytree(
        source,
        workdir,
        ignore=shutil.ignore_patterns("__pycache__", "deployed", "deployments", ".wsdeploy"),
    )
    home = scratch / "home"
    home.mkdir(exist_ok=True)
    cls = WsdeployTool if name == "wsdeploy" else ChaliceTool
    return cls(workdir, endpoint, log_file, home)


def check_network(emulator: Emulator, scratch: Path, log_file: Path) -> str:
    """Run one create and one remove of each tool under strace and check that
    every socket connection goes to the emulator's address."""
    strace = shutil.which("strace")
    if not strace:
        return "not checked (no strace on this machine)"
    port = emulator.url.rsplit(":", 1)[1]
    seen: set[str] = set()
    for name in TOOLS:
        emulator.reset()
        tool = make_tool(name, scratch / "netcheck", emulator.url, log_file)
        trace = scratch / f"strace-{name}.txt"
        prefix = [strace, "-f", "-qq", "-e", "trace=connect", "-o", str(trace)]
        for scenario in ("create", "remove"):
            tool.run(scenario, emulator, prefix=prefix)
            for line in trace.read_text().splitlines():
                match = re.search(
                    r"sa_family=AF_INET6?, sin6?_port=htons\((\d+)\), .*?\"([0-9a-f.:]+)\"", line
                )
                if match:
                    seen.add(f"{match.group(2)}:{match.group(1)}")
    outside = sorted(a for a in seen if a != f"127.0.0.1:{port}")
    if outside:
        raise Failure(f"a tool connected outside the emulator: {outside}")
    return f"checked with strace: every connection of both tools went to {emulator.url}"


# -- the side-by-side run -------------------------------------------------------


def side_by_side(
    latency: int, runs: int, page_size: str, scratch: Path, logs: Path, netcheck: bool
) -> dict[str, Any]:
    log(f"emulator at {latency} ms per request")
    emulator = Emulator(latency, "none", page_size)
    results: dict[str, Any] = {
        "latency_ms": latency,
        "runs": {t: {s: [] for s in SCENARIOS} for t in TOOLS},
    }
    try:
        if netcheck:
            results["network"] = check_network(emulator, scratch, logs / "netcheck.log")
            log(results["network"])
        # One discarded sequence per tool: the emulator's first calls of each
        # kind are slower (moto builds its backends lazily).
        for name in TOOLS:
            emulator.reset()
            tool = make_tool(
                name, scratch / "warmup", emulator.url, logs / f"warmup-{latency}ms-{name}.log"
            )
            for scenario in SCENARIOS:
                tool.run(scenario, emulator)
        for run in range(runs):
            order = TOOLS if run % 2 == 0 else tuple(reversed(TOOLS))
            for name in order:
                emulator.reset()
                tool = make_tool(
                    name, scratch / f"run{run}", emulator.url, logs / f"{latency}ms-{name}.log"
                )
                for scenario in SCENARIOS:
                    measure = tool.run(scenario, emulator)
                    summary = measure.summary()
                    results["runs"][name][scenario].append(summary)
                    log(
                        f"{latency:>2} ms run {run + 1}/{runs} {name:<8} {scenario:<11} "
                        f"{summary['wall_s']:6.2f} s {summary['calls']:3} calls "
                        f"({summary['mutating']} mutating) depth {summary['depth']:3} "
                        f"{summary['rss_mb']:5.1f} MB"
                    )
    finally:
        emulator.stop()
    return results


# -- scale ------------------------------------------------------------------


def scale_config(directory: Path, routes: int) -> Path:
    """A wsdeploy app with ``routes`` routes, each with its own function and
    handler file: $connect, $disconnect, $default and custom routes."""
    if directory.exists():
        shutil.rmtree(directory)
    (directory / "handlers").mkdir(parents=True)
    keys = ["$connect", "$disconnect", "$default"][: min(3, routes)]
    keys += [f"r{i:03d}" for i in range(len(keys) + 1, routes + 1)]
    lines = [
        f"# Generated by tests/bench/bench.py: {routes} routes, one function each.",
        f"app: scale{routes}",
        "region: us-east-1",
        "defaults:",
        "  function:",
        "    runtime: python3.12",
        "    memorySize: 128",
        "    timeout: 6",
        "routes:",
    ]
    for index, key in enumerate(keys, start=1):
        module = f"h{index:03d}"
        (directory / "handlers" / f"{module}.py").write_text(
            f'"""Route {key}."""\n\n\ndef handler(event, context):\n'
            f'    return {{"statusCode": 200, "body": "{key}"}}\n'
        )
        lines += [
            f"  {json.dumps(key)}:",
            "    function:",
            f"      handler: handlers/{module}.handler",
            f"      include: [handlers/{module}.py]",
        ]
    config = directory / "wsdeploy.yml"
    config.write_text("\n".join(lines) + "\n")
    return config


def scale(
    sizes: dict[int, int], page_size: str, scratch: Path, logs: Path, validate_runs: int
) -> dict[str, Any]:
    log(f"emulator at {TARGET_LATENCY} ms per request with the API Gateway quota (profile quotas)")
    emulator = Emulator(TARGET_LATENCY, "quotas", page_size)
    results: dict[str, Any] = {"sizes": {}, "validate": {}}
    try:
        for routes, runs in sizes.items():
            entry: dict[str, list[dict[str, Any]]] = {"create": [], "noop": [], "remove": []}
            results["sizes"][str(routes)] = entry
            for run in range(runs):
                directory = scale_config(scratch / f"scale{routes}", routes).parent
                tool = WsdeployTool(
                    directory, emulator.url, logs / f"scale-{routes}.log", scratch / "home"
                )
                emulator.reset()
                for scenario in ("create", "noop", "remove"):
                    measure = tool.run(scenario, emulator)
                    summary = measure.summary()
                    entry[scenario].append(summary)
                    log(
                        f"scale {routes:>3} routes run {run + 1}/{runs} {scenario:<6} "
                        f"{summary['wall_s']:6.2f} s {summary['calls']:4} calls "
                        f"({summary['apigw_mutating_ok']} API Gateway writes, "
                        f"{summary['throttled']} throttled) depth {summary['depth']} "
                        f"{summary['rss_mb']:5.1f} MB failures {summary['failures']}"
                    )
        # validate: offline, the 300-route config of the target
        routes = VALIDATE_ROUTES
        directory = scale_config(scratch / f"validate{routes}", routes).parent
        env = tool_env(emulator.url, scratch / "home")
        argv = [str(WSDEPLOY), "validate", "-c", str(directory / "wsdeploy.yml")]
        run_process(argv, directory, env, logs / "validate.log")  # page cache warm-up
        times = []
        for _ in range(validate_runs):
            measure = run_process(argv, directory, env, logs / "validate.log")
            if measure.exit_code != 0:
                raise Failure(
                    f"wsdeploy validate exited with {measure.exit_code}; see {logs / 'validate.log'}"
                )
            times.append(
                {"wall_s": measure.wall_s, "cpu_s": measure.cpu_s, "rss_mb": measure.rss_kb / 1024}
            )
        results["validate"] = {"routes": routes, "runs": times}
        log(
            f"validate {routes} routes: median {statistics.median(t['wall_s'] for t in times) * 1000:.1f} ms"
        )
    finally:
        emulator.stop()
    return results


# -- facts about the machine ------------------------------------------------------


def command_output(argv: list[str], cwd: Path = ROOT) -> str:
    try:
        return subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=60
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))}, Linux {platform.release()}"
    except OSError:
        pass
    python = str(VENV / "bin" / "python")
    package_versions = command_output(
        [
            python,
            "-c",
            "import importlib.metadata as m; print(' '.join(m.version(p) for p in ('chalice', 'moto', 'botocore')))",
        ]
    ).split()
    while len(package_versions) < 3:
        package_versions.append("unknown")
    status = command_output(["git", "status", "--porcelain", "--untracked-files=no"])
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "os": os_name,
        "wsdeploy": command_output([str(WSDEPLOY), "--version"]),
        "commit": command_output(["git", "rev-parse", "--short", "HEAD"])
        + (" (with local changes)" if status else ""),
        "chalice": package_versions[0],
        "moto": package_versions[1],
        "botocore": package_versions[2],
        "python": command_output([python, "--version"]),
        "rustc": command_output(["rustc", "--version"]),
        "load_before": os.getloadavg(),
    }


# -- the report -----------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def seconds(value: float) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def wall_cell(runs: list[dict[str, Any]]) -> str:
    walls = [r["wall_s"] for r in runs]
    return f"{seconds(med(walls))} ({seconds(min(walls))} – {seconds(max(walls))})"


def spread(runs: list[dict[str, Any]], key: str) -> str:
    values = sorted({r[key] for r in runs})
    return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"


def ops_cell(runs: list[dict[str, Any]]) -> str:
    ops = runs[0]["mutating_ops"] if runs else {}
    if not ops:
        return "none"
    return ", ".join(
        f"{name} ×{count}" if count > 1 else name for name, count in sorted(ops.items())
    )


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose wall time is the median (the lower middle one)."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    return ordered[(len(ordered) - 1) // 2]


def time_budget(ws: list[dict[str, Any]], needed: float) -> str:
    """Where wsdeploy's median run spends its time, against the time it may take."""
    run = median_run(ws)
    latency = TARGET_LATENCY / 1000
    return (
        f"It may take at most {seconds(needed)}, which at {TARGET_LATENCY} ms per request leaves room "
        f"for {int(needed // latency)} sequential round trips and nothing else. Its median run took "
        f"{seconds(run['wall_s'])}: {seconds(run['before_first_call_s'])} before its first call, "
        f"{seconds(run['calls_span_s'])} of calls ({run['calls']} calls, critical path {run['depth']}, "
        f"i.e. {seconds(run['depth'] * latency)} of round trips), {seconds(run['after_last_call_s'])} after "
        f"the last answer. Critical path: {chain_text(run['chain'])}."
    )


# The floor of each scenario's critical path for the benchmark app: the
# dependency depth of its writes plus the reads that must come first.
FLOORS = {
    "create": (
        8,
        "1 read (all by name: nothing exists) + the lock + 1 round of listings under it "
        "(nothing appeared) + CreateApi → CreateIntegration → CreateRoute → "
        "CreateDeployment + the release",
    ),
    "noop": (
        2,
        "the reads by name (the API list, roles, functions, log groups), then what needs "
        "the API's id (its routes, integrations, stage)",
    ),
    "one-handler": (
        4,
        "the 2 rounds of reading + the lock state and the function's revision + the upload",
    ),
    "remove": (
        5,
        "the lock (with the API listed beside it) + 1 round of reading under it + "
        "DeleteApi ∥ DeleteFunction ∥ DeleteRolePolicy + DeleteRole ∥ DeleteLogGroup + the release",
    ),
}


def evaluate_targets(side: dict[int, Any], scaled: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue: the figure, met or not, and what the call
    log says limits it."""
    at = side.get(TARGET_LATENCY)
    targets: list[dict[str, Any]] = []
    if at:
        ws = at["runs"]["wsdeploy"]
        ch = at["runs"]["chalice"]
        noop_mut = max(r["mutating"] for r in ws["noop"])
        noop_ops = sorted({op for r in ws["noop"] for op in r["mutating_ops"]})
        noop_depth = max(r["depth"] for r in ws["noop"])
        ch_noop = med([r["wall_s"] for r in ch["noop"]])
        ch_create = med([r["wall_s"] for r in ch["create"]])
        noop_ratio = ratio(ch_noop, med([r["wall_s"] for r in ws["noop"]]))
        create_ratio = ratio(ch_create, med([r["wall_s"] for r in ws["create"]]))
        ch_remove = med([r["wall_s"] for r in ch["remove"]])
        remove_ratio = ratio(ch_remove, med([r["wall_s"] for r in ws["remove"]]))
        one = [r["mutating"] for r in ws["one-handler"]]
        one_ops = sorted({op for r in ws["one-handler"] for op in r["mutating_ops"]})
        targets += [
            {
                "target": "no-op deploy: no mutating call",
                "figure": f"{noop_mut} mutating calls (most in any run)",
                "met": noop_mut == 0,
                "why": f"Mutating calls: {', '.join(noop_ops)}." if noop_ops else "",
            },
            {
                "target": "no-op deploy: at most 2 sequential round trips",
                "figure": f"critical path {spread(ws['noop'], 'depth')} (floor {FLOORS['noop'][0]})",
                "met": noop_depth <= 2,
                "why": f"Critical path of the median run: {chain_text(median_run(ws['noop'])['chain'])}.",
            },
            {
                "target": "no-op deploy: at least 15 × faster than Chalice's no-op deploy",
                "figure": f"{noop_ratio:.2f} × ({seconds(ch_noop)} / {seconds(med([r['wall_s'] for r in ws['noop']]))})",
                "met": noop_ratio >= 15,
                "why": time_budget(ws["noop"], ch_noop / 15),
            },
            {
                "target": "create: at least 4 × faster than Chalice",
                "figure": f"{create_ratio:.2f} × ({seconds(ch_create)} / {seconds(med([r['wall_s'] for r in ws['create']]))}); "
                f"critical path {spread(ws['create'], 'depth')} (floor {FLOORS['create'][0]})",
                "met": create_ratio >= 4,
                "why": time_budget(ws["create"], ch_create / 4),
            },
            {
                "target": "remove: critical path of at most 7",
                "figure": f"critical path {spread(ws['remove'], 'depth')} (floor {FLOORS['remove'][0]})",
                "met": max(r["depth"] for r in ws["remove"]) <= 7,
                "why": f"Critical path of the median run: {chain_text(median_run(ws['remove'])['chain'])}.",
            },
            {
                "target": "remove: at least 2.5 × faster than Chalice",
                "figure": f"{remove_ratio:.2f} × ({seconds(ch_remove)} / {seconds(med([r['wall_s'] for r in ws['remove']]))})",
                "met": remove_ratio >= 2.5,
                "why": time_budget(ws["remove"], ch_remove / 2.5),
            },
            {
                "target": "one handler changed: exactly one mutating call (the code upload)",
                "figure": f"{spread(ws['one-handler'], 'mutating')} mutating: {', '.join(one_ops) or 'none'}",
                "met": all(n == 1 for n in one) and one_ops == ["UpdateFunctionCode"],
                "why": "",
            },
        ]
    sizes = scaled.get("sizes", {}) if scaled else {}
    if "300" in sizes and sizes["300"]["create"]:
        creates = sizes["300"]["create"]
        ratios = [r["wall_s"] / (r["apigw_mutating_ok"] / APIGW_RATE) for r in creates]
        failures = sum(max(r["failures"], 0) + (r["exit_code"] != 0) for r in creates)
        run = median_run(creates)
        bound = run["apigw_mutating_ok"] / APIGW_RATE
        why = (
            f"Median run: {run['apigw_mutating_ok']} API Gateway writes, lower bound {seconds(bound)}, wall "
            f"{seconds(run['wall_s'])}. Its first API Gateway write came {seconds(run['apigw_writes_from_s'] or 0)} "
            f"after start and the last {seconds(run['apigw_writes_to_s'] or 0)} after start "
            f"({seconds((run['apigw_writes_to_s'] or 0) - (run['apigw_writes_from_s'] or 0))} of writes for a "
            f"{seconds(bound)} bound); {run['throttled']} answers were 429 and retried; "
            f"{run['calls']} calls in all, critical path {run['depth']}."
        )
        targets.append(
            {
                "target": "300 routes: within 1.10 × the quota lower bound, zero failures",
                "figure": f"{med(ratios):.2f} × (median of {len(creates)}; worst {max(ratios):.2f} ×), "
                f"{failures} failures",
                "met": med(ratios) <= 1.10 and failures == 0,
                "why": why,
            }
        )
        rss = max(r["rss_mb"] for r in creates)
        by_size = ", ".join(
            f"{routes} routes {max(r['rss_mb'] for r in sizes[routes]['create']):.1f} MB"
            for routes in sorted(sizes, key=int)
            if sizes[routes]["create"]
        )
        others = ", ".join(
            f"{SCENARIO_TITLES[s]} {max(r['rss_mb'] for r in sizes['300'][s]):.1f} MB"
            for s in ("noop", "remove")
            if sizes["300"][s]
        )
        targets.append(
            {
                "target": "deploy of 300 routes under 60 MB peak RSS",
                "figure": f"{rss:.1f} MB (create; largest of {len(creates)} runs)",
                "met": rss < 60,
                "why": f"Peak RSS of create by size: {by_size}. At 300 routes: {others}.",
            }
        )
    if scaled and scaled.get("validate", {}).get("runs"):
        validate = scaled["validate"]
        median = med([r["wall_s"] for r in validate["runs"]])
        targets.append(
            {
                "target": f"`wsdeploy validate` of the {validate['routes']}-route config under 50 ms",
                "figure": f"{median * 1000:.1f} ms (median of {len(validate['runs'])}; "
                f"{min(r['wall_s'] for r in validate['runs']) * 1000:.1f} – "
                f"{max(r['wall_s'] for r in validate['runs']) * 1000:.1f} ms)",
                "met": median < 0.050,
                "why": f"A whole process: start-up, reading and checking the config and its "
                f"{validate['routes']} handler files. Its CPU time (user + system) was "
                f"{med([r.get('cpu_s', float('nan')) for r in validate['runs']]) * 1000:.1f} ms "
                "(median): the rest of the wall time, and the spread of the runs, is waiting for "
                "a CPU on a loaded machine (see the load average above).",
            }
        )
    return targets


METHOD = """\
# Benchmarks

wsdeploy against [AWS Chalice](https://github.com/aws/chalice) deploying the
same WebSocket app, side by side in one run, on the project's local AWS
emulator; then wsdeploy alone at 10, 100 and 300 routes under API Gateway's
request quota. Everything below the "Results" heading is written by the
benchmark itself.

## Running it

```sh
tests/bench/run                 # the full run; writes this file
tests/bench/run --quick         # smoke run (about 1 minute): 1 run per scenario,
                                # 10 routes at scale; writes target/bench/quick.md
tests/bench/run --runs 7 --scale-runs 10:3,100:3,300:1 --output /tmp/b.md
tests/bench/run --help          # every option
python3 tests/bench/bench.py --report-from target/bench/results.json
                                # rewrite this file from the last run's raw figures
```

`tests/bench/run` works from a fresh clone with Rust and Python 3.10+: it
runs `tests/emulator/setup`, installs the pinned Chalice
(`tests/bench/requirements.txt`, `chalice==1.34.0` and its dependencies,
`--no-deps` so nothing unpinned comes in) into the same `.venv`, builds
`target/release/wsdeploy`, then runs `tests/bench/bench.py`. It only talks
to emulators on 127.0.0.1 and stops every emulator it started, also on
Ctrl-C or an error (and the emulators exit by themselves if the benchmark is
killed: they watch their stdin). It measures a private copy of the binary,
so a rebuild during the run changes nothing. The full run takes about 10
minutes on 2 cores (plus the release build); the raw figures of the last run
are in `target/bench/results.json`, the tools' output in
`target/bench/logs/`.

## Method

**The app.** Three Python handlers: `$connect` (accepts), `$default` (echoes
the message to its sender through the management API) and `$disconnect`
(does nothing), 128 MB, 6 s:
[`fixtures/bench/wsdeploy.yml`](../fixtures/bench/wsdeploy.yml) with one
file per handler (each function ships only its own file), and
[`tests/bench/chalice_app/app.py`](../tests/bench/chalice_app/app.py) with
`@app.on_ws_connect()`, `@app.on_ws_message()` and `@app.on_ws_disconnect()`
(Chalice ships one package with the whole app to its three functions; its
runtime follows the local Python, wsdeploy's is `python3.12`; the emulator
runs nothing, so neither matters). The tools differ in one way that shapes
the figures: Chalice records what it deployed in `.chalice/deployed/dev.json`
and trusts that file, so it reads little from AWS (its `delete` reads
nothing), but it rewrites every function and every route and integration on
each deploy; wsdeploy keeps no state, reads what is live on every command
and writes only the differences.

**Scenarios**, in this order on a scratch copy of each app, starting from an
emulator reset to an empty account: *create from nothing* (`wsdeploy
deploy`, `chalice deploy`, each in a fresh copy with no caches or state
files), *no-op redeploy* (the same command again), *one handler changed*
(the `$default` handler's body edited, then deploy), *remove* (`wsdeploy
remove --yes`, `chalice delete`). Each tool runs the sequence once unmeasured
after the emulator starts (moto builds its backends lazily), then `--runs`
times (default 5) measured, the two tools alternating which goes first.

**Figures.**
- *wall*: from spawning the process to its exit, everything included
  (Chalice's Python start-up and packaging, wsdeploy's packaging); median,
  with min – max. Measured by a small launcher
  ([`tests/bench/rss.rs`](../tests/bench/rss.rs)) that starts the tool.
- *calls*: total and mutating (not `Get*`/`List*`/`Describe*`/`Head*`),
  from the emulator's call log (`GET /_wsdeploy/calls`), which sees every
  AWS request either tool makes.
- *critical path*: the sequential round trips, the longest chain of calls in
  the log where each call arrives after the previous one was answered
  (arrival time and duration as logged by the emulator). Calls in flight at
  the same time are not chained, so this is the depth of dependent calls
  for a concurrent tool and the call count for a sequential one. At 50 ms
  it bounds the wall time from below: depth × 50 ms. The chain is read
  from timing, not from the code: a call that waited for a free slot
  (wsdeploy runs up to 32 reads, and 8 writes to API Gateway plus 8 to the
  other services, at a time) or for a retry is chained too. The
  operations of the chain are listed for wsdeploy's median runs.
- *CPU*: user + system time of the tool's process (median), which load
  affects much less than wall time.
- *local before first call*: time from spawning the tool to its first AWS
  request (start-up, reading the config, packaging).
- *peak RSS*: `ru_maxrss` of the tool's process as its launcher sees it
  (the largest of it and any child it waited for), so a Python tool is
  measured as its whole interpreter. The launcher exists because Linux
  counts the memory a process had before `exec` in its `ru_maxrss`: a tool
  started straight from the Python benchmark would report at least the
  benchmark's own 20 to 40 MB.
- The ratios are Chalice's median wall over wsdeploy's.

**The emulator** ([docs/testing.md](testing.md)): moto in server mode with
wsdeploy's additions, one process on the same machine as the tools (they
share the CPUs), started afresh for each latency. `--latency-ms 0` and
`--latency-ms 50` (a fixed delay before every AWS request is handled: a
model of the round trip from a laptop to an AWS region; requests in flight
together wait in parallel). moto then handles them one at a time, about
1 ms each on this machine, which a region does not do: N requests sent
together are answered within 50 ms + N ms, so the emulator charges a tool
that sends requests together for their number, and one that sends them one
after another hardly at all. The emulator does moto's per-request work
that gives the same answer every time only once (`patches/dispatch.py`;
before it, a request took about 1.6 ms). Lists are cut into pages of 25 items
(`--page-size 25`, API Gateway's documented default page for REST APIs;
API Gateway v2 does not document its own) rather than the 2 items the tests
use to exercise pagination: Chalice reads an API's routes and integrations
without paginating, so it cannot redeploy with 2-item pages.

**Scale.** wsdeploy alone, generated configs with 10, 100 and 300 routes
(`$connect`, `$disconnect`, `$default` and custom routes `r004`...), one
function and one handler file per route, on an emulator at 50 ms with the
`quotas` profile: API Gateway answers 429 beyond 10 requests/s (token
bucket, burst 40; reads count too), at most one `CreateDeployment` per 5 s.
Each run resets the emulator and measures create, no-op and remove; 3 runs
of each size by default (`--scale-runs`). The lower bound of a deploy is its
mutating API Gateway calls that succeeded / 10 per second (the rate alone,
as the issue defines it; with the burst of 40 the true floor is 4 s lower);
*failures* are actions wsdeploy reports as failed or not started, plus a
non-zero exit; *429s* are throttled answers wsdeploy retried.
`wsdeploy validate` of the 300-route config is timed as a whole process
(median of 10 after one unmeasured run).

**Noise.** Two cores, the emulator on the same machine, other work possibly
running: the load average before and after is recorded with the results.
CPU-bound parts suffer most from load: Chalice's Python start-up (most of
its wall time at 0 ms) and `wsdeploy validate`.
"""


def write_report(
    path: Path,
    facts: dict[str, Any],
    side: dict[int, Any],
    scaled: dict[str, Any],
    settings: dict[str, Any],
) -> None:
    out: list[str] = [METHOD]
    out.append(
        f"## Results\n\nRun of {settings['stamp']}: `{settings['command']}`, "
        f"{settings['duration']}.\n"
    )
    out.append("### Machine and versions\n")
    out.append("| | |\n|---|---|")
    load_before = ", ".join(f"{v:.2f}" for v in facts["load_before"])
    load_after = ", ".join(f"{v:.2f}" for v in facts["load_after"])
    rows = [
        ("CPU", f"{facts['cpu']}, {facts['cpus']} CPUs (`nproc`)"),
        ("memory", facts["memory"]),
        ("OS", facts["os"]),
        ("load average (1, 5, 15 min)", f"before {load_before}; after {load_after}"),
        ("wsdeploy", f"{facts['wsdeploy']} (commit {facts['commit']}), release build"),
        ("Chalice", facts["chalice"]),
        ("moto (emulator)", facts["moto"]),
        ("botocore", facts["botocore"]),
        ("Python", facts["python"]),
        ("rustc", facts["rustc"]),
        ("emulator pages", f"`--page-size {settings['page_size']}`"),
        ("network", facts.get("network", "not checked")),
    ]
    out += [f"| {k} | {v} |" for k, v in rows]
    out.append("")

    for latency in sorted(side):
        result = side[latency]
        runs = len(result["runs"]["wsdeploy"]["create"])
        out.append(f"### {latency} ms per request\n")
        out.append(
            f"Median of {runs} runs (min – max). Calls, mutating calls and critical path: the range over the runs.\n"
        )
        out.append(
            "| tool | scenario | wall | CPU | calls (mutating) | critical path | "
            "local before first call | peak RSS |"
        )
        out.append("|---|---|---|---|---|---|---|---|")
        for scenario in SCENARIOS:
            for name in TOOLS:
                r = result["runs"][name][scenario]
                out.append(
                    f"| {name} | {SCENARIO_TITLES[scenario]} | {wall_cell(r)} | "
                    f"{seconds(med([x.get('cpu_s', float('nan')) for x in r]))} | "
                    f"{spread(r, 'calls')} ({spread(r, 'mutating')}) | {spread(r, 'depth')} | "
                    f"{seconds(med([x['before_first_call_s'] for x in r]))} | "
                    f"{med([x['rss_mb'] for x in r]):.1f} MB |"
                )
        out.append("")
        if latency == 0:
            out.append(
                "At 0 ms the emulator answers in 1 to 3 ms under one lock, so calls a tool sends "
                "together rarely overlap: the critical path there is close to the number of calls "
                "and says little. Read it at 50 ms.\n"
            )

    if side:
        out.append("### wsdeploy against Chalice\n")
        out.append("Chalice's median wall time over wsdeploy's (higher: wsdeploy faster).\n")
        header = "| scenario | " + " | ".join(f"{lat} ms" for lat in sorted(side)) + " |"
        out += [header, "|---|" + "---|" * len(side)]
        for scenario in SCENARIOS:
            cells = []
            for latency in sorted(side):
                ws = med([r["wall_s"] for r in side[latency]["runs"]["wsdeploy"][scenario]])
                ch = med([r["wall_s"] for r in side[latency]["runs"]["chalice"][scenario]])
                cells.append(f"{ratio(ch, ws):.2f} × ({seconds(ch)} / {seconds(ws)})")
            out.append(f"| {SCENARIO_TITLES[scenario]} | " + " | ".join(cells) + " |")
        out.append("")

    if TARGET_LATENCY in side:
        runs_of = side[TARGET_LATENCY]["runs"]
        out.append(f"### Mutating calls per scenario ({TARGET_LATENCY} ms, first measured run)\n")
        out.append("| scenario | wsdeploy | Chalice |\n|---|---|---|")
        for scenario in SCENARIOS:
            out.append(
                f"| {SCENARIO_TITLES[scenario]} | {ops_cell(runs_of['wsdeploy'][scenario])} | "
                f"{ops_cell(runs_of['chalice'][scenario])} |"
            )
        out.append("")
        out.append(f"### Where the time goes ({TARGET_LATENCY} ms, medians)\n")
        out.append(
            "Wall = local before the first call + the span from the first call's arrival to the "
            f"last answer + local after it. Critical path × {TARGET_LATENCY} ms is what the sequential "
            "round trips alone cost.\n"
        )
        out.append(
            "| tool | scenario | wall | before first call | calls span | after last call | "
            f"critical path × {TARGET_LATENCY} ms |\n|---|---|---|---|---|---|---|"
        )
        for scenario in SCENARIOS:
            for name in TOOLS:
                r = runs_of[name][scenario]
                out.append(
                    f"| {name} | {SCENARIO_TITLES[scenario]} | {seconds(med([x['wall_s'] for x in r]))} | "
                    f"{seconds(med([x['before_first_call_s'] for x in r]))} | "
                    f"{seconds(med([x['calls_span_s'] for x in r]))} | "
                    f"{seconds(med([x['after_last_call_s'] for x in r]))} | "
                    f"{seconds(med([x['depth'] for x in r]) * TARGET_LATENCY / 1000)} |"
                )
        out.append("")
        out.append(
            f"Critical paths of wsdeploy's median runs at {TARGET_LATENCY} ms, each next to its "
            "floor (the sequential round trips the scenario cannot do without; see FLOORS in "
            "tests/bench/bench.py):\n"
        )
        out.append("| scenario | critical path | floor | chain | what the floor is |\n|---|---|---|---|---|")
        for scenario in SCENARIOS:
            run = median_run(runs_of["wsdeploy"][scenario])
            floor, why = FLOORS[scenario]
            out.append(
                f"| {SCENARIO_TITLES[scenario]} | {run['depth']} | {floor} | "
                f"{chain_text(run['chain'])} | {why} |"
            )
        out.append("")

    sizes = scaled.get("sizes", {}) if scaled else {}
    if sizes:
        out.append(
            f"### Scale: wsdeploy, {TARGET_LATENCY} ms, API Gateway quota 10 requests/s, burst 40\n"
        )
        out.append(
            "Lower bound of a create: its successful mutating API Gateway calls / 10 per second. "
            "Peak RSS: the largest of the runs.\n"
        )
        out.append(
            "| routes | scenario | runs | wall | lower bound | wall / bound | calls (mutating) | "
            "API Gateway writes | 429s | critical path | failures | peak RSS |"
        )
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for routes in sorted(sizes, key=int):
            for scenario in ("create", "noop", "remove"):
                r = sizes[routes][scenario]
                if not r:
                    continue
                wall = med([x["wall_s"] for x in r])
                if scenario == "create":
                    bound = med([x["apigw_mutating_ok"] for x in r]) / APIGW_RATE
                    bound_cell, ratio_cell = seconds(bound), f"{wall / bound:.2f}"
                else:
                    bound_cell = ratio_cell = "–"
                failures = sum(max(x["failures"], 0) + (x["exit_code"] != 0) for x in r)
                out.append(
                    f"| {routes} | {SCENARIO_TITLES[scenario]} | {len(r)} | {wall_cell(r)} | {bound_cell} | "
                    f"{ratio_cell} | {spread(r, 'calls')} ({spread(r, 'mutating')}) | "
                    f"{spread(r, 'apigw_mutating_ok')} | {spread(r, 'throttled')} | {spread(r, 'depth')} | "
                    f"{failures} | {max(x['rss_mb'] for x in r):.1f} MB |"
                )
        out.append("")
    validate = scaled.get("validate", {}) if scaled else {}
    if validate.get("runs"):
        walls = [r["wall_s"] for r in validate["runs"]]
        out.append(
            f"`wsdeploy validate` of the {validate['routes']}-route config: "
            f"{med(walls) * 1000:.1f} ms, median of {len(walls)} "
            f"({min(walls) * 1000:.1f} – {max(walls) * 1000:.1f} ms), CPU time "
            f"{med([r.get('cpu_s', float('nan')) for r in validate['runs']]) * 1000:.1f} ms "
            f"(median), peak RSS {max(r['rss_mb'] for r in validate['runs']):.1f} MB.\n"
        )

    targets = evaluate_targets(side, scaled)
    if targets:
        out.append(f"### Targets (issues 7 and 17, at {TARGET_LATENCY} ms)\n")
        out.append("| target | measured | |\n|---|---|---|")
        for t in targets:
            out.append(f"| {t['target']} | {t['figure']} | {'met' if t['met'] else '**missed**'} |")
        out.append("")
        notes = [t for t in targets if t["why"]]
        if notes:
            out.append("What the call logs say about each target (written by the benchmark):\n")
            for t in notes:
                out.append(f"- *{t['target']}* ({'met' if t['met'] else 'missed'}). {t['why']}")
            out.append("")
    # The build and logs benchmarks' sections (tests/bench/build.py,
    # tests/bench/logs.py) are measured separately: keep them.
    kept = ""
    if path.exists():
        previous = path.read_text()
        for name in ("build", "logs"):
            start, end = f"<!-- {name}-benchmark -->", f"<!-- /{name}-benchmark -->"
            if start in previous and end in previous:
                kept += "\n\n" + start + previous.split(start, 1)[1].split(end, 1)[0] + end
    path.write_text("\n".join(out).rstrip() + kept + "\n")


# -- main ---------------------------------------------------------------------


def parse_scale(text: str) -> dict[int, int]:
    sizes: dict[int, int] = {}
    if not text.strip():
        return sizes
    for part in text.split(","):
        routes, _, runs = part.partition(":")
        sizes[int(routes)] = int(runs or 1)
    return sizes


def main(argv: list[str]) -> int:
    global WSDEPLOY
    parser = argparse.ArgumentParser(
        prog="tests/bench/run",
        description="wsdeploy against Chalice, and wsdeploy at scale (docs/benchmarks.md)",
    )
    parser.add_argument(
        "--runs", type=int, help="measured runs per tool and scenario (default 5; --quick: 1)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 run, 10 routes at scale, 3 validates"
    )
    parser.add_argument(
        "--scale-runs",
        help="routes:runs pairs for the scale runs (default 10:3,100:3,300:3; --quick: 10:1); '' skips them",
    )
    parser.add_argument(
        "--page-size", default="25", help="emulator page size (default 25; 'none' = moto's own)"
    )
    parser.add_argument(
        "--latencies",
        default="0,50",
        help="latencies of the side-by-side runs, in ms (default 0,50)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="report file (default docs/benchmarks.md; --quick: target/bench/quick.md)",
    )
    parser.add_argument(
        "--report-from",
        type=Path,
        help="only write the report again from a saved results.json (e.g. after changing "
        "its layout); measures nothing",
    )
    parser.add_argument(
        "--no-network-check", action="store_true", help="skip the strace check of connections"
    )
    args = parser.parse_args(argv)

    runs = args.runs or (1 if args.quick else 5)
    sizes = parse_scale(
        args.scale_runs
        if args.scale_runs is not None
        else ("10:1" if args.quick else "10:3,100:3,300:3")
    )
    validate_runs = 3 if args.quick else 10
    latencies = [int(x) for x in args.latencies.split(",") if x.strip()]
    output = args.output or (
        RESULTS_DIR / "quick.md" if args.quick else ROOT / "docs" / "benchmarks.md"
    )
    if args.report_from:
        saved = json.loads(args.report_from.read_text())
        side_saved = {int(k): v for k, v in saved["side_by_side"].items()}
        settings = saved["settings"]
        settings.setdefault(
            "stamp",
            datetime.datetime.fromtimestamp(
                args.report_from.stat().st_mtime, datetime.timezone.utc
            ).strftime("%Y-%m-%d %H:%M UTC"),
        )
        write_report(output, saved["machine"], side_saved, saved["scale"], settings)
        log(f"wrote {output} from {args.report_from}")
        return 0

    for path in (WSDEPLOY, CHALICE, EMULATOR_RUN, LAUNCHER):
        if not path.exists():
            print(
                f"missing {path}: run tests/bench/run, which installs and builds it",
                file=sys.stderr,
            )
            return 2

    def interrupted(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    atexit.register(stop_all_emulators)

    began = time.monotonic()
    facts = machine()
    log(f"load average {facts['load_before'][0]:.2f}; {runs} runs; scale {sizes or 'skipped'}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    logs = RESULTS_DIR / "logs"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir()
    scratch = Path(tempfile.mkdtemp(prefix="wsdeploy-bench-"))
    (scratch / "bin").mkdir()
    WSDEPLOY = Path(shutil.copy2(WSDEPLOY, scratch / "bin" / "wsdeploy"))
    side: dict[int, Any] = {}
    scaled: dict[str, Any] = {}
    try:
        for index, latency in enumerate(latencies):
            side[latency] = side_by_side(
                latency,
                runs,
                args.page_size,
                scratch,
                logs,
                netcheck=index == 0 and not args.no_network_check,
            )
            if "network" in side[latency]:
                facts["network"] = side[latency]["network"]
        scaled = scale(sizes, args.page_size, scratch, logs, validate_runs)
    except Failure as error:
        print(f"tests/bench/run: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("tests/bench/run: interrupted", file=sys.stderr)
        return 130
    finally:
        stop_all_emulators()
        shutil.rmtree(scratch, ignore_errors=True)

    facts["load_after"] = os.getloadavg()
    minutes, secs = divmod(int(time.monotonic() - began), 60)
    settings = {
        "command": "tests/bench/run " + " ".join(argv) if argv else "tests/bench/run",
        "duration": f"{minutes} min {secs} s",
        "runs": runs,
        "sizes": sizes,
        "page_size": args.page_size,
        "stamp": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    (RESULTS_DIR / "results.json").write_text(
        json.dumps(
            {"settings": settings, "machine": facts, "side_by_side": side, "scale": scaled},
            indent=1,
        )
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    write_report(output, facts, side, scaled, settings)
    log(f"wrote {output} ({settings['duration']})")
    for t in evaluate_targets(side, scaled):
        log(f"{'met   ' if t['met'] else 'MISSED'} {t['target']}: {t['figure']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
