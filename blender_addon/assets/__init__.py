"""The renderer's asset code that needs no Blender: finding asset files before sampling (`files`)."""
