"""What every command receives: the global options, the loaded plugins and the lazily loaded config."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs
import click

from muskox.config import Config, Override, load_config
from muskox.plugin.manager import Plugins


@attrs.define
class AppContext:
    """The state of one ``muskox`` invocation, shared by all sub-commands through click's context."""

    project_dir: Path
    config_file: Path | None
    tenant: str | None
    verbosity: int
    plugins: Plugins
    _config: Config | None = None

    def config(self, overrides: Sequence[Override] = ()) -> Config:
        """The effective configuration (defaults < file < tenant < environment < ``overrides``)."""
        if self._config is None or overrides:
            config = load_config(
                self.project_dir, config_file=self.config_file, tenant=self.tenant, overrides=overrides,
                sections=self.plugins.config_sections(),
            )
            if overrides:
                return config
            self._config = config
        return self._config


pass_app = click.make_pass_decorator(AppContext)
