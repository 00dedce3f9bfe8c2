"""`rag app --mcp`: the search is an MCP tool that an agent can call over the Model Context
Protocol (streamable HTTP), answered from the real index."""

from __future__ import annotations

import asyncio
import json

import pytest

from .running import running_app

pytestmark = pytest.mark.slow


async def _tools_and_answer(url: str, question: str) -> tuple[dict, dict]:
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async with (
        streamablehttp_client(f"{url}gradio_api/mcp/") as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
        result = await session.call_tool("search", {"question": question, "k": 2})
        assert not result.isError, result.content
        # Gradio sends a dict result as its Python repr (str(dict)), not as JSON.
        return tools, json.loads(result.content[0].text)  # JSON text an agent can parse


def test_search_is_an_mcp_tool_with_citations(seed_index, tmp_path):
    settings, _ = seed_index
    with running_app(settings.index_dir, tmp_path / "app.log", extra=("--mcp",)) as (url, _):
        tools, answer = asyncio.run(_tools_and_answer(url, "Which company made an antivirus program?"))
    search = tools["search"]
    assert search.inputSchema["required"] == ["question"]
    assert "question in plain English" in search.inputSchema["properties"]["question"]["description"]
    assert {"search", "ask", "rebuild"} <= set(tools) and tools["rebuild"].description
    assert answer["query"] == "Which company made an antivirus program?" and len(answer["results"]) == 2
    top = answer["results"][0]
    assert "Jiu Economic Technology Development Company" in top["text"]
    assert top["source"].startswith("seeds/") and top["start_line"] <= top["end_line"]


def test_mcp_is_refused_beside_a_password_with_one_line(seed_index, tmp_path):
    """Gradio serves the MCP routes outside its login: with --auth they would answer anyone, so the
    two are not served together."""
    import subprocess
    import sys

    settings, _ = seed_index
    command = [sys.executable, "-m", "rag.cli", "app", "--index", str(settings.index_dir), "--mcp", "--auth", "u:p"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode != 0
    assert "--mcp serves the tools without the login of --auth" in result.stderr
    assert "Traceback" not in result.stderr
