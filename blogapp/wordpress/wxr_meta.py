"""The post meta keys our own export writes for what WordPress has no field for, and
our import reads back, so a blog moved from here to here loses nothing."""

META_FORMAT = "_blogapp_content_format"
META_MARKDOWN = "_blogapp_markdown"
META_LANGUAGE = "_blogapp_language"
META_SOURCE_LINE = "_blogapp_source_line"
META_COMMENT_MODE = "_blogapp_comment_mode"
META_CREDIT = "_blogapp_credit"

# Co-Authors Plus: a post's bylines are terms of the ``author`` taxonomy
# whose slugs start ``cap-`` and whose names are logins; guest authors are items of
# type ``guest-author`` with their fields in ``cap-…`` post meta.
CAP_TAXONOMY = "author"
CAP_PREFIX = "cap-"
GUEST_AUTHOR = "guest-author"
META_PEN_NAME = "_blogapp_pen_name"  # ours: the profile is a pen name
