"""Generated from proto/convsvc/v1 by scripts/gen_stubs.sh; do not edit."""
