#!/bin/sh
# The Containerfile's HEALTHCHECK: when a `tagmetry serve` runs in the container, GET /api/session from it
# (on its --host unless that is 0.0.0.0 / ::, and its --port, default 7860) with the access token
# (--token or $TAGMETRY_TOKEN); healthy when it answers 200. A container running another command (a tag
# job) is healthy while it runs.
for cmdline in /proc/[0-9]*/cmdline; do
  args=$( { tr '\0' '\n' < "$cmdline"; } 2>/dev/null) || continue  # a process may end meanwhile
  first=$(printf '%s\n' "$args" | head -n 1)
  case "$first" in */tagmetry | tagmetry) ;; *) continue ;; esac
  printf '%s\n' "$args" | grep -qx serve || continue
  host=127.0.0.1 port=7860 token=${TAGMETRY_TOKEN:-} prev=
  for a in $(printf '%s\n' "$args" | tr ' ' '_'); do
    case "$prev" in
      --host) host=$a ;;
      --port) port=$a ;;
      --token) token=$a ;;
    esac
    case "$a" in
      --host=*) host=${a#--host=} ;;
      --port=*) port=${a#--port=} ;;
      --token=*) token=${a#--token=} ;;
    esac
    prev=$a
  done
  case "$host" in 0.0.0.0 | :: | '[::]') host=127.0.0.1 ;; *:*) host="[$host]" ;; esac
  [ "$port" != 0 ] || exit 0  # a random port: nothing to ask
  exec curl -fsS -o /dev/null --max-time 4 -H "Authorization: Bearer $token" "http://$host:$port/api/session"
done
exit 0
