"""A student's notebook as an HTML feedback page, rendered with nbconvert.

The page is rebuilt from trusted pieces only: the cells' sources from the
notebook file, the outputs recorded by the grading run (``cell_outputs``; what
the file itself claims as outputs is ignored), no notebook or cell metadata, no
widgets, no scripts. Code and outputs are escaped by nbconvert's templates;
Markdown is rendered, then passed through an allow-list (bleach), so no HTML
the student wrote reaches the page as markup.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from autograder.errors import GradingError
from autograder.exports.wording import error_text, words
from autograder.grading.results import SubmissionResult
from autograder.grading.submissions import cell_source, read_notebook

TEXT_CAP = 100_000  # characters of one output kept on the page
TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
        "img", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
        "ul", "span"}
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")
IMAGE_CAP = 2 * 1024 * 1024  # base64 characters of one figure shown on the page
IMAGES_PER_CELL = 20
PNG_BASE64 = "iVBORw0KGgo"  # the PNG signature, base64-encoded

TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}<style type="text/css">{{ resources.ag_css }}</style>{% endblock extra_css %}
{%- block body_header -%}{{ super() }}
{{ resources.ag_feedback }}
{%- endblock body_header -%}
{% block codecell %}
{%- if cell.metadata.get('ag_marker') -%}
<div class="ag-mark" id="ag-cell-{{ cell.metadata.get('ag_index') }}">{{ cell.metadata.get('ag_marker') }}</div>
<div class="ag-failed-cell">{{ super() }}</div>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock codecell %}
{% block markdowncell scoped %}
<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell">
<div class="jp-Cell-inputWrapper">
<div class="jp-InputArea jp-Cell-inputArea">
<div class="jp-InputPrompt jp-InputArea-prompt"></div>
<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" data-mime-type="text/markdown">
{{ cell.metadata.get('ag_html', '') }}
</div>
</div>
</div>
</div>
{%- endblock markdowncell %}
{% block rawcell scoped %}{% endblock rawcell %}
"""


def notebook_feedback_page(result: SubmissionResult, lang: str, *, feedback: str, css: str) -> str | None:
    """The HTML page, or None when the notebook file cannot be read."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    cells = _read_cells(Path(result.path))
    if cells is None:
        return None
    nb = _safe_notebook(cells, result, lang)
    exporter = HTMLExporter(extra_loaders=[DictLoader({"ag_feedback.html.j2": TEMPLATE})],
                            template_file="ag_feedback.html.j2", language_code=lang)
    body, _ = exporter.from_notebook_node(nb, resources={"ag_feedback": feedback, "ag_css": css,
                                                         "metadata": {"name": result.student_id}})
    return body


def _read_cells(path: Path) -> list[dict[str, Any]] | None:
    try:
        nb = read_notebook(path)  # size and depth bounded before parsing; nbformat 3 converted
    except (OSError, GradingError):
        return None
    return [c for c in nb["cells"] if isinstance(c, dict)]


def _indexed(record: Any) -> bool:
    """A cell's record from the grading run, with a cell number for its index (a forged one is left out)."""
    return isinstance(record, dict) and type(record.get("index")) is int


def _safe_notebook(cells: list[dict[str, Any]], result: SubmissionResult, lang: str):
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    outputs = {o.get("index"): o.get("outputs", []) for o in result.cell_outputs if _indexed(o)}
    errors = {e.get("index"): e for e in result.cell_errors if _indexed(e)}
    marker = words(lang)["cell_marker"]
    nb = new_notebook(metadata={"language_info": {"name": "python"},
                                "title": f"{words(lang)['title']}: {result.assignment} / {result.student_id}"})
    count = 0
    for index, cell in enumerate(cells):
        kind, source = cell.get("cell_type"), cell_source(cell)
        if kind == "code":
            ran = index in outputs and bool(source.strip())
            count += bool(source.strip())  # the number Jupyter shows after Run All, counted here, not sent
            new = new_code_cell(source, execution_count=count if ran else None,
                                outputs=[nbformat.from_dict(o) for o in _safe_outputs(outputs.get(index, []), count)])
            if index in errors:
                new.metadata["ag_marker"] = html.escape(marker.format(error=error_text(errors[index])))
                new.metadata["ag_index"] = index
        elif kind == "markdown":
            new = new_markdown_cell(source)
            new.metadata["ag_html"] = sanitize_markdown(source)
        else:  # raw cells: shown as text, never as markup
            new = new_markdown_cell(source)
            new.metadata["ag_html"] = f"<pre>{html.escape(source)}</pre>"
        nb.cells.append(new)
    return nb


def sanitize_markdown(source: str) -> str:
    """Markdown rendered to HTML, then cut down to an allow-list of tags and attributes."""
    import bleach
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    def allowed(tag: str, name: str, value: str) -> bool:
        if tag == "a":
            return name == "title" or (name == "href" and value.startswith(("http://", "https://", "mailto:", "#"))) \
                or (name == "class" and value == "anchor-link")
        if tag == "img":
            return name in ("alt", "title") or (name == "src" and value.startswith("data:image/")
                                                and not value.startswith("data:image/svg"))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return name == "id"
        return tag in ("td", "th") and name == "align"

    return bleach.clean(markdown2html_mistune(source), tags=TAGS, attributes=allowed,
                        protocols={"http", "https", "mailto", "data"}, strip=False)


def _safe_outputs(outputs: list[Any], count: int) -> list[dict[str, Any]]:
    """Only stream, error and text/plain / image/png results; every field re-typed."""
    safe: list[dict[str, Any]] = []
    images = 0
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, dict):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
            safe.append({"output_type": "stream", "name": name, "text": _text(output.get("text"))})
        elif kind == "error":
            traceback = output.get("traceback") if isinstance(output.get("traceback"), list) else []
            safe.append({"output_type": "error", "ename": _text(output.get("ename")),
                         "evalue": _text(output.get("evalue")), "traceback": [_text(t) for t in traceback]})
        elif kind in ("execute_result", "display_data"):
            data = output.get("data") if isinstance(output.get("data"), dict) else {}
            kept = {}
            if "text/plain" in data:
                kept["text/plain"] = _text(data["text/plain"])
            png = data.get("image/png")
            if (isinstance(png, str) and len(png) <= IMAGE_CAP and images < IMAGES_PER_CELL
                    and png.lstrip().startswith(PNG_BASE64) and _BASE64.fullmatch(png)):
                kept["image/png"] = png
                images += 1
            if kept:
                item = {"output_type": kind, "data": kept, "metadata": {}}
                if kind == "execute_result":
                    item["execution_count"] = count or None
                safe.append(item)
    return safe


def _text(value: Any) -> str:
    text = "".join(str(v) for v in value) if isinstance(value, list) else ("" if value is None else str(value))
    return text if len(text) <= TEXT_CAP else text[:TEXT_CAP] + "\n..."
