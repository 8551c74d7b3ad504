#!/bin/sh
# The Containerfile's HEALTHCHECK: when a `tagmetry serve` of this user runs in the container, GET
# /api/session from it (on its --host unless that is 0.0.0.0 / ::, and its --port, default 7860) with the
# access token (--token or $TAGMETRY_TOKEN); healthy when it answers 200. A container running another
# command (a tag job) is healthy while it runs. Exit status: 0 healthy, 1 a serve runs but does not answer.
found=0
for dir in /proc/[0-9]*; do
  [ -O "$dir" ] || continue  # this user's processes (what runs in the container, not a host's /proc)
  args=$( { tr '\0' '\n' < "$dir/cmdline"; } 2>/dev/null) || continue  # a process may end meanwhile
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
  [ "$port" != 0 ] || continue  # a random port: nothing to ask
  found=1
  curl -fsS -o /dev/null --max-time 4 -H "Authorization: Bearer $token" "http://$host:$port/api/session" && exit 0
done
[ "$found" = 0 ]
