"""The post meta keys our own export writes for what WordPress has no field for, and
our import reads back, so a blog moved from here to here loses nothing."""

META_FORMAT = "_blogapp_content_format"
META_MARKDOWN = "_blogapp_markdown"
META_LANGUAGE = "_blogapp_language"
META_SOURCE_LINE = "_blogapp_source_line"
META_COMMENT_MODE = "_blogapp_comment_mode"
META_CREDIT = "_blogapp_credit"
