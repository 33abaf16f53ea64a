"""WordPress content conversions: wpautop and shortcodes, compared with what WordPress prints."""

from __future__ import annotations

from blogapp.wordpress.convert import wordpress_to_html
from blogapp.wordpress.shortcodes import convert_captions, unknown_shortcodes
from blogapp.wordpress.wpautop import wpautop


def test_wpautop_paragraphs_and_line_breaks():
    assert wpautop("One\ntwo\n\nThree") == "<p>One<br />\ntwo</p>\n<p>Three</p>\n"
    assert wpautop("   \n ") == ""


def test_wpautop_leaves_block_html_lists_tables_and_pre_alone():
    text = (
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<pre>x\n\ny</pre>\n"
        "<table>\n<tr><td>c</td></tr>\n</table>"
    )
    assert wpautop(text) == (
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<pre>x\n\ny</pre>\n"
        "<table>\n<tr>\n<td>c</td>\n</tr>\n</table>\n"
    )
    assert wpautop("<blockquote>Quoted</blockquote>") == "<blockquote><p>Quoted</p></blockquote>\n"
    assert wpautop('See <a\nhref="/x">this</a>') == '<p>See <a\nhref="/x">this</a></p>\n'


def test_caption_shortcodes_become_figures():
    new_style = (
        '[caption id="attachment_1" align="aligncenter" width="300"]'
        '<img src="a.jpg" /> Dawn[/caption]'
    )
    old_style = '[caption caption="Old &amp; odd" width="200"]<img src="b.jpg">[/caption]'
    assert convert_captions(new_style) == (
        '<figure class="wp-caption aligncenter"><img src="a.jpg" />'
        "<figcaption>Dawn</figcaption></figure>"
    )
    assert "<figcaption>Old &amp; odd</figcaption>" in convert_captions(old_style)
    assert convert_captions('[caption width="1"]<img src="c.jpg">[/caption]') == '<img src="c.jpg">'
    assert convert_captions("[[caption]]") == "[caption]"


def test_unknown_shortcodes_are_reported_but_prose_brackets_are_not():
    found = unknown_shortcodes('[gallery] [video src="a.mp4" /] [spoiler]x[/spoiler] [sic] [1]')
    assert found == {"gallery": 1, "video": 1, "spoiler": 1}


def test_more_marker_and_block_editor_content():
    html, found = wordpress_to_html("Intro\n<!--more-->\nRest\n[embed]http://x[/embed]")
    assert html == "<p>Intro</p>\n<!--more-->\n<p>Rest<br />\n[embed]http://x[/embed]</p>"
    assert found == {"embed": 1}
    blocks = "<!-- wp:paragraph -->\n<p>Already\nHTML</p>\n<!-- /wp:paragraph -->"
    assert wordpress_to_html(blocks)[0] == blocks
