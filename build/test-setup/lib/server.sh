# Sourced by the setup scripts that start a test server on a fixed loopback port.

# answers PORT: true when something on 127.0.0.1:PORT accepts a connection.
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# reserve_port PORT: keeps the kernel from giving PORT to outgoing connections as their local port.
# The test ports lie in Linux's ephemeral range (32768-60999). Unreserved, a port with no listener
# yet can be taken by any client, or by a probe to it that connects to itself (a TCP simultaneous
# open: about 1 connect in 66,000 to a closed local port in that range does), which also makes the
# probe "answer"; the server's bind then fails with "Address already in use". Needs root (it is a
# sysctl of the network namespace); without it this does nothing.
reserve_port() {
  local port=$1 file=/proc/sys/net/ipv4/ip_local_reserved_ports current entry
  [ -w "$file" ] || return 0
  current=$(tr -d '\n' <"$file")
  local IFS=,
  for entry in $current; do
    if [ "$port" -ge "${entry%-*}" ] && [ "$port" -le "${entry#*-}" ]; then
      return 0
    fi
  done
  echo "${current:+$current,}$port" >"$file" 2>/dev/null || true
}

# await_server NAME PID PORT LOG: waits up to 60 s for the server started as PID to answer on PORT.
# Fails at once, showing the end of LOG, when the process exits first (a port in use, a data folder
# it refuses), rather than waiting out the time.
await_server() {
  local name=$1 pid=$2 port=$3 log=$4
  for _ in $(seq 1 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name: the server exited before it answered on port $port; the end of $log:" >&2
      tail -20 "$log" >&2 || true
      return 1
    fi
    if answers "$port"; then
      return 0
    fi
    sleep 0.25
  done
  echo "$name: the server did not answer on port $port within 60 s; the end of $log:" >&2
  tail -20 "$log" >&2 || true
  return 1
}
