"""The API's OpenAPI description, built from the same marshmallow schemas that validate
requests, so it cannot drift from what the server accepts. Served at /api/openapi.json."""
from __future__ import annotations

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, jsonify

from server.api.people import SearchSchema
from server.api.sync import ResolveSchema
from server.auth.admin import AccountChangeSchema
from server.auth.views import EnrolSchema, LoginSchema, PasswordSchema
from server.schemas.base import Int
from server.schemas.people import HouseholdSchema, ResidentSchema
from server.schemas.records import SCHEMAS
from sync.protocol import SyncRequest

bp = Blueprint("openapi", __name__, url_prefix="/api")


class ResidentEditSchema(ResidentSchema):
    """Documentation of PATCH /api/residents/<id>: changed fields plus the version seen."""

    version = Int(lo=1, required=True)

ERROR = {"type": "object", "required": ["code", "status", "message", "errors"],
         "properties": {"code": {"type": "string"}, "status": {"type": "integer"},
                        "message": {"type": "string"}, "errors": {"type": "object"}}}
UUID_PARAM = {"type": "string", "format": "uuid"}

# (path, method, summary, request schema name or None, path parameters)
OPERATIONS = [
    ("/api/auth/login", "post", "登录 Log in with a password", "Login", {}),
    ("/api/auth/logout", "post", "退出 Log out", None, {}),
    ("/api/auth/password", "post", "修改密码 Change one's own password", "Password", {}),
    ("/api/auth/instance", "get", "实例信息 Whether this is a demo instance", None, {}),
    ("/api/me", "get", "当前账号 The logged-in account", None, {}),
    ("/api/users", "get", "账号列表 The township's accounts and phones (admin)", None, {}),
    ("/api/users/{user_id}", "patch", "更改账号 Role, state or name (admin)", "AccountChange",
     {"user_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}),
    ("/api/users/{user_id}/reset-password", "post", "重置密码 A one-time password (admin)",
     None, {"user_id": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}),
    ("/api/devices", "post", "登记设备 Enrol this phone", "Enrol", {}),
    ("/api/devices", "get", "设备列表 The township's devices (admin)", None, {}),
    ("/api/devices/{device_id}/revoke", "post", "停用设备 Revoke a lost phone (admin)", None,
     {"device_id": UUID_PARAM}),
    ("/api/villages", "get", "村列表 Villages in scope", None, {}),
    ("/api/households", "post", "新建家庭 Register a household", "Household", {}),
    ("/api/households/{household_id}", "get", "家庭 One household", None,
     {"household_id": UUID_PARAM}),
    ("/api/residents", "post", "建档 Register a resident", "Resident", {}),
    ("/api/residents", "get", "居民列表 Residents in scope", None, {}),
    ("/api/residents/search", "post", "查找居民 Search residents", "Search", {}),
    ("/api/residents/{resident_id}", "get", "居民档案 One resident", None,
     {"resident_id": UUID_PARAM}),
    ("/api/residents/{resident_id}", "patch", "修改档案 Edit a resident (send `version`)",
     "ResidentEdit", {"resident_id": UUID_PARAM}),
    ("/api/records", "post", "新增服务记录 Store a field record", "Record", {}),
    ("/api/records", "get", "服务记录 Records in scope", None, {}),
    ("/api/records/{record_id}", "get", "服务记录 One record", None, {"record_id": UUID_PARAM}),
    ("/api/sync", "post", "同步 Push the outbox and pull changes", "SyncRequest", {}),
    ("/api/sync/conflicts", "get", "冲突列表 Conflicts to review (staff)", None, {}),
    ("/api/sync/conflicts/{conflict_id}/resolve", "post", "处理冲突 Settle a conflict (staff)",
     "Resolve", {"conflict_id": {"type": "integer", "minimum": 1,
                                 "maximum": 2**31 - 1}}),
    ("/api/audit/{entity_id}", "get", "修改记录 Audit trail (admin)", None,
     {"entity_id": UUID_PARAM}),
]


def build_spec() -> dict:
    """The OpenAPI 3 document."""
    spec = APISpec(title="村医工作平台 API", version="1", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "Errors always have the shape of `Error`."})
    spec.components.schema("Error", ERROR)
    spec.components.security_scheme("device", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie",
                                                "name": "cunyi_session"})
    for name, schema in (("Login", LoginSchema), ("Enrol", EnrolSchema),
                         ("Password", PasswordSchema), ("AccountChange", AccountChangeSchema),
                         ("Household", HouseholdSchema), ("Resident", ResidentSchema),
                         ("Search", SearchSchema), ("SyncRequest", SyncRequest),
                         ("Resolve", ResolveSchema)):
        spec.components.schema(name, schema=schema)
    spec.components.schema("ResidentEdit", schema=ResidentEditSchema(partial=True))
    for kind, schema in SCHEMAS.items():
        spec.components.schema(f"Record_{kind}", schema=schema)
    spec.components.schema("Record", {"oneOf": [
        {"$ref": f"#/components/schemas/Record_{kind}"} for kind in SCHEMAS]})
    error = {"description": "错误 Error",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    paths: dict[str, dict] = {}
    for path, method, summary, body, params in OPERATIONS:
        op: dict = {"summary": summary, "responses": {
            "200": {"description": "OK"}, "201": {"description": "Created"},
            "4XX": error}, "security": [{"device": []}, {"session": []}]}
        if params:
            op["parameters"] = [{"name": n, "in": "path", "required": True, "schema": s}
                                for n, s in params.items()]
        if body:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{body}"}}}}
        paths.setdefault(path, {})[method] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi():
    """This API's OpenAPI description."""
    return jsonify(build_spec())
