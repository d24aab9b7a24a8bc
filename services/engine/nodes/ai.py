"""AI: renders the prompt with the item and asks the configured LLM provider."""

from __future__ import annotations

from contract.models import Node
from services.engine.expressions import ExpressionError, render_text
from services.engine.nodes import Item, NodeContext, NodeError, NodeResult


async def run(node: Node, item: Item, ctx: NodeContext) -> NodeResult:
    params = node.parameters
    try:
        prompt = render_text(params["prompt"], item)
        system = render_text(params["system"], item) if params.get("system") else None
    except ExpressionError as exc:
        raise NodeError(str(exc)) from None
    temperature = None
    if params.get("temperature"):
        try:
            temperature = float(params["temperature"])
        except ValueError:
            raise NodeError(
                f"temperature must be a number, got {params['temperature']!r}"
            ) from None
    model = params.get("model") or None
    try:
        text = await ctx.llm.complete(prompt, system=system, model=model, temperature=temperature)
    except Exception as exc:  # provider failures are node failures (retry policy applies)
        raise NodeError(f"LLM call failed: {type(exc).__name__}: {exc}") from None
    return NodeResult(output={**item, "ai": {"text": text, "model": model or ctx.llm.name}})
