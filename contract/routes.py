"""Where each RPC lives on HTTP: one table, read by the services (to serve) and by the
gateway's HTTP transport (to call). Base URLs carry no version; these paths do."""

from __future__ import annotations

from bridge.service import HttpRoute, delete, get, patch, post

ENGINE = "contract.engine.v1.WorkflowService"
TRIGGERS = "contract.engine.v1.TriggerService"
AGENT = "contract.agent.v1.WorkflowAgent"
CONVERSATIONS = "contract.agent.v1.ConversationService"

ROUTES: dict[str, HttpRoute] = {
    f"{ENGINE}/CreateWorkflow": post("/v1/workflows", status=201),
    f"{ENGINE}/GetWorkflow": get("/v1/workflows/{workflow_id}"),
    f"{ENGINE}/UpdateWorkflow": patch("/v1/workflows/{workflow_id}"),
    f"{ENGINE}/DeleteWorkflow": delete("/v1/workflows/{workflow_id}"),
    f"{ENGINE}/ListWorkflows": get("/v1/workflows"),
    f"{ENGINE}/ExecuteWorkflow": post("/v1/workflows/{workflow_id}/execute", status=202),
    f"{ENGINE}/GetExecution": get("/v1/executions/{execution_id}"),
    f"{ENGINE}/ListExecutions": get("/v1/executions"),
    f"{ENGINE}/CancelExecution": post("/v1/executions/{execution_id}/cancel"),
    f"{TRIGGERS}/CreateTrigger": post("/v1/triggers", status=201),
    f"{TRIGGERS}/GetTrigger": get("/v1/triggers/{trigger_id}"),
    f"{TRIGGERS}/ListTriggers": get("/v1/triggers"),
    f"{TRIGGERS}/DeleteTrigger": delete("/v1/triggers/{trigger_id}"),
    f"{TRIGGERS}/FireTrigger": post("/v1/triggers/{trigger_id}/fire", status=202),
    f"{TRIGGERS}/ListTriggerEvents": get("/v1/triggers/{trigger_id}/events"),
    f"{TRIGGERS}/FireWebhook": post("/v1/webhooks/{trigger_id}", status=202),
    # The agent's routes follow the original plan (literal routes before {workflow_id}).
    f"{AGENT}/GenerateWorkflow": post("/v1/workflows/generate"),
    f"{AGENT}/ValidateWorkflow": post("/v1/workflows/validate"),
    f"{AGENT}/RefineWorkflow": post("/v1/workflows/{workflow_id}/refine"),
    # Server stream: SSE over HTTP (one event per message, then `end` or `error`).
    f"{CONVERSATIONS}/ProcessConversation": post("/v1/conversations/{session_id}/turns"),
}


def route(service: str, method: str) -> HttpRoute:
    try:
        return ROUTES[f"{service}/{method}"]
    except KeyError:
        raise LookupError(f"no HTTP route declared for {service}/{method}") from None
