"""Further `kg` subcommands, one module per capability; `kg.cli` registers them.

Each module defines click commands taking `obj: Ctx` (from `kg.cli`) via `@click.pass_obj`.
"""
