"""The console script is installed and lists its commands."""

from typer.testing import CliRunner

from launch.cli import app


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "serve" in result.output
