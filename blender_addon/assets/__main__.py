"""`python -m blender_addon.assets KIND ...` (see blender_addon/assets/cli.py)."""

import sys

from blender_addon.assets.cli import main

sys.exit(main())
