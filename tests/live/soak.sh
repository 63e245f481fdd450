#!/usr/bin/env bash
# The CI form of the soak test (tests/soak/soak.sh): 60 s.
exec bash "${MB_ROOT:?}/tests/soak/soak.sh" "${MB_BIN:?}" "${MB_SOAK_SECONDS:-60}"
