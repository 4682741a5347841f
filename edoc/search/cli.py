"""``edoc search reindex``: build every entry again, with a progress bar."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from edoc.search import registry
from edoc.search.service import count_to_reindex, reindex

search_group = AppGroup("search", help="Chỉ mục tìm kiếm / the search index.")


@search_group.command("reindex")
@click.option("--kind", "kinds", multiple=True, help="Only these kinds (outgoing, incoming, ...).")
def reindex_command(kinds: tuple[str, ...]) -> None:
    """Build every search entry again (after an upgrade, a restore, or a change of what is indexed)."""
    unknown = [k for k in kinds if registry.get(k) is None]
    if unknown:
        raise click.BadParameter(f"unknown kind(s): {', '.join(unknown)}; known: {', '.join(registry.indexers())}",
                                 param_hint="--kind")
    chosen = list(kinds) or None
    total = count_to_reindex(chosen)
    started = time.perf_counter()
    with click.progressbar(length=total, label="Đang lập chỉ mục", show_pos=True, show_eta=True) as bar:
        done = reindex(chosen, progress=bar.update)
    click.echo(f"Đã lập chỉ mục {done} mục trong {time.perf_counter() - started:.1f} s.")
