#!/usr/bin/env python3
"""A fault-injecting HTTP proxy in front of an AWS endpoint (moto), for recon's fault tests and
`just faults`.

Every request is forwarded to --upstream unless a fault says otherwise, and logged as one JSON
line (--log): the AWS action, whether it changes anything, the status returned, the fault
injected. Faults, each chosen per request with its own probability (seeded: --seed):

  --throttle P     answer 400 `Throttling` (EC2: `RequestLimitExceeded`) without forwarding
  --error P        answer 500 `InternalError` without forwarding
  --drop P         close the connection without forwarding or answering
  --lose P         forward, let AWS act, then answer 500 (the answer is lost)
  --lose-drop P    forward, let AWS act, then close the connection without an answer
  --hang P         wait --hang-for seconds, then close the connection without forwarding
  --latency MS     add MS milliseconds before every answer
  --lose-nth N     lose the answer of the N-th mutating call (1-based), exactly once
  --only ACTIONS   inject faults only into these actions (comma-separated)
  --mutating-only  inject faults only into calls that change something
  --hide-new S     hide each new EFS mount target for S seconds after its create, as AWS's
                   eventual consistency may: by id "not found", absent from lists
  --buckets        apply EC2's documented request token buckets (see EC2_BUCKETS): a call whose
                   bucket is empty is answered 400 `RequestLimitExceeded` without forwarding
                   (fault `bucket` in the log); other services are not limited

Each log line, written once the call is answered, also holds when the call arrived (`t0`) and
was answered (`t`), how long upstream took (`upstream_ms`, when forwarded) and, for EC2, the
call's token bucket (`bucket`, with or without --buckets): what `just bench` reads.

The listening port is printed on stdout as `port <n>` once the proxy is ready (--port 0 picks
a free one). Python 3 standard library only.
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

READ_PREFIXES = ("Describe", "List", "Get")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}

# EC2's request token buckets, from the EC2 developer guide, "Request throttling for the Amazon
# EC2 API": "each API is evaluated individually": every action has a bucket of its own, sized
# by the action's category: (capacity in tokens, refill in tokens per second). Account-wide
# defaults; AWS raises them on request, so real accounts may have more.
EC2_DESCRIBE = (100, 20)  # non-mutating actions
EC2_UNFILTERED = (50, 10)  # the actions below, called with no filter and no pagination
EC2_MUTATING = (50, 5)  # mutating actions; the "resource-intensive" ones (Authorize/Revoke
#                         SecurityGroupIngress, CreateKeyPair...) have the same numbers
EC2_UNFILTERED_ACTIONS = {"DescribeInstances", "DescribeInstanceStatus",
                          "DescribeNetworkInterfaces", "DescribeSecurityGroups",
                          "DescribeSnapshots", "DescribeSpotInstanceRequests", "DescribeVolumes"}
EC2_BUCKETS = {
    "RunInstances": (5, 2),
    "TerminateInstances": (100, 5),
    "CreateNatGateway": (10, 1),
    "DeleteNatGateway": (10, 1),
    "CreateTags": (100, 10),
    "DeleteTags": (100, 10),
    "CreateLaunchTemplateVersion": (100, 5),
    "ModifyLaunchTemplate": (100, 5),
    "CreateNetworkInterface": (100, 5),
    "DeleteNetworkInterface": (100, 5),
}
# RunInstances and TerminateInstances also spend one "resource token" per instance from a
# second bucket of their own: (capacity, refill per second), and the request parameter counted.
EC2_RESOURCE_BUCKETS = {
    "RunInstances": (1000, 2, "MaxCount"),
    "TerminateInstances": (1000, 20, "InstanceId."),
}


def is_ec2(body):
    return b"Version=2016-11-15" in body


def ec2_buckets(action, body):
    """The EC2 buckets a call draws on: [(name, capacity, refill, tokens)]. A call is
    "unfiltered and unpaginated" when it carries no parameter but Action and Version (ids,
    filters, MaxResults and NextToken all narrow it)."""
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    if action in EC2_BUCKETS:
        size = EC2_BUCKETS[action]
    elif is_mutating(action):
        size = EC2_MUTATING
    elif action in EC2_UNFILTERED_ACTIONS and set(form) <= {"Action", "Version"}:
        # A bucket apart from the action's filtered calls: the guide gives the two sizes but
        # not whether they share tokens.
        return [(f"{action}/unfiltered", *EC2_UNFILTERED, 1)]
    else:
        size = EC2_DESCRIBE
    out = [(action, *size, 1)]
    if action in EC2_RESOURCE_BUCKETS:
        capacity, refill, param = EC2_RESOURCE_BUCKETS[action]
        if param.endswith("."):
            n = sum(1 for k in form if k.startswith(param))
        else:
            n = int(form.get(param, ["1"])[0])
        out.append((f"{action}/resources", capacity, refill, n))
    return out


def bucket_size(name):
    """(capacity, refill per second) of the bucket `ec2_buckets` names `name`."""
    action, _, part = name.partition("/")
    if part == "unfiltered":
        return EC2_UNFILTERED
    if part == "resources":
        return EC2_RESOURCE_BUCKETS[action][:2]
    if action in EC2_BUCKETS:
        return EC2_BUCKETS[action]
    return EC2_MUTATING if is_mutating(action) else EC2_DESCRIBE


class TokenBuckets:
    """AWS's token bucket: starts full, refills continuously up to its capacity; a call takes
    its tokens from every bucket it draws on, or from none when one lacks them."""

    def __init__(self):
        self.tokens = {}  # name -> (tokens, when last refilled)

    def take(self, wanted, now):
        level = {}
        for name, capacity, refill, _ in wanted:
            tokens, at = self.tokens.get(name, (capacity, now))
            level[name] = min(capacity, tokens + (now - at) * refill)
        if any(level[name] < n - 1e-9 for name, _, _, n in wanted):
            for name in level:
                self.tokens[name] = (level[name], now)
            return False
        for name, _, _, n in wanted:
            self.tokens[name] = (level[name] - n, now)
        return True


def action_of(method, path, headers, body):
    """The AWS action of a request: Query protocols (EC2, ELB, Auto Scaling) carry `Action=` in
    the form body; JSON protocols (KMS) an `X-Amz-Target`; EFS is REST: method and path."""
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1]
    if body:
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        if "Action" in form:
            return form["Action"][0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if "Action" in query:
        return query["Action"][0]
    if "/elasticfilesystem/" in path or path.startswith("/2015-02-01/"):
        resource = path.split("?")[0].rstrip("/").split("/")
        kind = next((p for p in reversed(resource) if p.endswith("-systems")
                     or p.endswith("-targets") or p in ("tags", "security-groups",
                                                        "lifecycle-configuration", "policy")),
                    "efs")
        verb = {"GET": "Describe", "POST": "Create", "PUT": "Put",
                "DELETE": "Delete"}.get(method, method)
        return f"{verb}:{kind}"
    return f"{method}:{path.split('?')[0]}"


def is_mutating(action):
    return not action.startswith(READ_PREFIXES)


class State:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.lock = threading.Lock()
        self.mutating_seen = 0
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.only = set(args.only.split(",")) if args.only else None
        self.created = {}  # mount target id -> when its create answered
        self.buckets = TokenBuckets()

    def within_buckets(self, wanted):
        """False when --buckets is on and one of the call's buckets is empty."""
        if not self.args.buckets or not wanted:
            return True
        with self.lock:
            return self.buckets.take(wanted, time.monotonic())

    def hidden(self, mt_id):
        with self.lock:
            at = self.created.get(mt_id)
        return at is not None and time.time() - at < self.args.hide_new

    def choose(self, action):
        """The fault for this request, or None."""
        with self.lock:
            mutating = is_mutating(action)
            if mutating:
                self.mutating_seen += 1
                if self.args.lose_nth and self.mutating_seen == self.args.lose_nth:
                    return "lose"
            if self.only is not None and action not in self.only:
                return None
            if self.args.mutating_only and not mutating:
                return None
            for fault in ("throttle", "error", "drop", "lose", "lose_drop", "hang"):
                p = getattr(self.args, fault)
                if p and self.rng.random() < p:
                    if fault in ("lose", "lose_drop") and not mutating:
                        continue
                    return fault
            return None

    def record(self, **entry):
        if self.log:
            entry["t"] = round(time.time(), 3)
            with self.lock:
                self.log.write(json.dumps(entry) + "\n")


def handler(state):
    upstream = urllib.parse.urlsplit(state.args.upstream)

    class Proxy(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # An answer is two writes (headers, then body): with Nagle's algorithm the body waits
        # for the client's delayed ACK of the headers, 40 ms on Linux, which would add to every
        # round trip on top of --latency. AWS's endpoints add no such wait.
        disable_nagle_algorithm = True

        def log_message(self, *_):
            pass

        def _forward(self, body):
            conn = http.client.HTTPConnection(
                upstream.hostname, upstream.port, timeout=state.args.upstream_timeout
            )
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            conn.close()
            return resp.status, out, data

        def _answer(self, status, headers, data):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status, code, action, body=b""):
            """An error answer in the shape of the caller's protocol: JSON (KMS, EFS), EC2's
            `<Response><Errors>`, or the other Query APIs' `<ErrorResponse>` (Auto Scaling,
            ELB), so that the SDK reads the code as it would from AWS."""
            if self.headers.get("X-Amz-Target") or action.startswith(("Create:", "Put:",
                                                                        "Delete:", "Describe:")):
                data = json.dumps({"__type": code, "message": "injected by faultproxy"}).encode()
                headers = [("Content-Type", "application/x-amz-json-1.1"),
                           ("x-amzn-ErrorType", code)]
            elif is_ec2(body):
                data = (f"<Response><Errors><Error><Code>{code}</Code><Message>injected by "
                        f"faultproxy</Message></Error></Errors><RequestID>fp</RequestID>"
                        f"</Response>").encode()
                headers = [("Content-Type", "text/xml")]
            else:
                data = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>"
                        f"injected by faultproxy</Message></Error><RequestId>fp</RequestId>"
                        f"</ErrorResponse>").encode()
                headers = [("Content-Type", "text/xml")]
            self._answer(status, headers, data)

        def _drop(self):
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass

        def _handle(self):
            arrived = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            action = action_of(self.command, self.path, self.headers, body)
            wanted = ec2_buckets(action, body) if is_ec2(body) else []
            # The bucket is checked as the call arrives, as AWS does, and before the other
            # faults, so that a throttled call does not count as a mutating call seen.
            fault = None if state.within_buckets(wanted) else "bucket"
            if fault is None:
                fault = state.choose(action)
            if state.args.latency:
                time.sleep(state.args.latency / 1000)
            # t0: when the call arrived (with `t`, when it was answered: what was in flight).
            entry = {"action": action, "mutating": is_mutating(action), "fault": fault,
                     "t0": round(arrived, 3)}
            if wanted:
                entry["bucket"] = wanted[0][0]
            if fault in ("throttle", "bucket"):
                code = "RequestLimitExceeded" if is_ec2(body) else "Throttling"
                self._error(400, code, action, body)
                state.record(status=400, forwarded=False, **entry)
            elif fault == "error":
                self._error(500, "InternalError", action, body)
                state.record(status=500, forwarded=False, **entry)
            elif fault == "drop":
                self._drop()
                state.record(status=None, forwarded=False, **entry)
            elif fault == "hang":
                time.sleep(state.args.hang_for)
                self._drop()
                state.record(status=None, forwarded=False, **entry)
            elif state.args.hide_new and self._hide(action, entry):
                pass
            else:
                sent = time.time()
                status, headers, data = self._forward(body)
                # How long upstream (moto) took, latency aside.
                entry["upstream_ms"] = round((time.time() - sent) * 1000, 1)
                if state.args.hide_new and status < 300:
                    data = self._track(action, data)
                if fault == "lose":
                    self._error(500, "InternalError", action, body)
                    state.record(status=500, forwarded=True, upstream=status, **entry)
                elif fault == "lose_drop":
                    self._drop()
                    state.record(status=None, forwarded=True, upstream=status, **entry)
                else:
                    self._answer(status, headers, data)
                    state.record(status=status, forwarded=True, **entry)

        def _track(self, action, data):
            """Remembers new mount targets; removes hidden ones from lists."""
            try:
                doc = json.loads(data)
            except ValueError:
                return data
            if action == "Create:mount-targets" and "MountTargetId" in doc:
                with state.lock:
                    state.created[doc["MountTargetId"]] = time.time()
            elif action == "Describe:mount-targets" and "MountTargets" in doc:
                doc["MountTargets"] = [m for m in doc["MountTargets"]
                                       if not state.hidden(m.get("MountTargetId"))]
                return json.dumps(doc).encode()
            return data

        def _hide(self, action, entry):
            """Answers "not found" for a hidden mount target named by id; True if it did."""
            parts = urllib.parse.urlsplit(self.path)
            query = urllib.parse.parse_qs(parts.query)
            named = query.get("MountTargetId", [None])[0]
            segments = parts.path.strip("/").split("/")
            if named is None and "mount-targets" in segments:
                i = segments.index("mount-targets")
                named = segments[i + 1] if len(segments) > i + 1 else None
            if self.command != "GET" or not named or not state.hidden(named):
                return False
            data = json.dumps({"ErrorCode": "MountTargetNotFound",
                               "Message": "hidden by faultproxy"}).encode()
            self._answer(404, [("Content-Type", "application/json"),
                               ("x-amzn-ErrorType", "MountTargetNotFound")], data)
            state.record(status=404, forwarded=False, hidden=True, **entry)
            return True

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Proxy


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--upstream", required=True, help="the AWS endpoint, e.g. http://127.0.0.1:5000")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", help="append one JSON line per request here")
    p.add_argument("--seed", type=int, default=1)
    for fault in ("throttle", "error", "drop", "lose", "lose-drop", "hang"):
        p.add_argument(f"--{fault}", type=float, default=0.0, metavar="P")
    p.add_argument("--hang-for", type=float, default=30.0, metavar="S")
    p.add_argument("--latency", type=float, default=0.0, metavar="MS")
    p.add_argument("--upstream-timeout", type=float, default=120.0, metavar="S",
                   help="how long to wait for the upstream's answer (default 120)")
    p.add_argument("--lose-nth", type=int, default=0, metavar="N")
    p.add_argument("--only", default="", metavar="ACTIONS")
    p.add_argument("--mutating-only", action="store_true")
    p.add_argument("--hide-new", type=float, default=0.0, metavar="S")
    p.add_argument("--buckets", action="store_true")
    args = p.parse_args()
    state = State(args)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        # socketserver's backlog of 5 is short for a client with 10 or more calls in flight.
        request_queue_size = 128

    server = Server(("127.0.0.1", args.port), handler(state))
    print(f"port {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
