# Sourced by the other scripts: a project-local moto server on a free loopback port.
#   moto_install   installs moto[server] into .venv if it is not there yet
#   moto_start     starts it, waits until it answers, exports AWS_* for the SDK, stops it on exit

MOTO_VERSION="5.2.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

moto_install() {
  if [ -x "$VENV/bin/moto_server" ]; then
    return 0
  fi
  echo "==> Installing moto[server]==$MOTO_VERSION into $VENV (once)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
}

moto_start() {
  local port log
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  log="$(mktemp -t recon-moto.XXXXXX.log)"
  # AWS has its managed policies (AmazonSSMManagedInstanceCore) in every account; moto loads
  # them only when asked.
  MOTO_IAM_LOAD_MANAGED_POLICIES=true \
    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  MOTO_PID=$!
  trap moto_stop EXIT
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  # moto builds a region's backend on its first call, which on a loaded machine takes longer
  # than recon's 20 s read timeout for AWS: give the local server more.
  export RECON_READ_TIMEOUT="${RECON_READ_TIMEOUT:-120s}"
  for _ in $(seq 1 100); do
    if python3 -c "import urllib.request, sys; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/', timeout=1)" 2>/dev/null; then
      break
    fi
    if ! kill -0 "$MOTO_PID" 2>/dev/null; then
      echo "moto failed to start:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
  # Dummy credentials: moto accepts anything; the SDK must not look for real ones.
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
  export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  # moto answers unimplemented calls with HTTP 500, which the SDK would retry for seconds.
  export AWS_MAX_ATTEMPTS=2
  export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
  echo "==> moto $MOTO_VERSION listening on $AWS_ENDPOINT_URL (pid $MOTO_PID)"
}

moto_stop() {
  if [ -n "${MOTO_PID:-}" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
    kill "$MOTO_PID" 2>/dev/null || true
    wait "$MOTO_PID" 2>/dev/null || true
    echo "==> moto stopped"
  fi
}
