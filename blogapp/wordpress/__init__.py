"""Moving in from WordPress: importing and exporting WXR files (``flask import-wxr``,
``flask export-wxr``), with WordPress's own content conversions (wpautop, captions)."""
