"""The one error shape: {code, status, message, errors}, with Chinese messages (Flask-free).

`errors` is keyed by field (and by list index inside lists); each field maps to a list
of {code, message} entries. Every 4xx and 5xx the API returns has this shape.
"""
from __future__ import annotations

import re
from typing import Any

MESSAGES_ZH = {
    "validation_failed": "提交的数据有误，请检查标红的项目",
    "bad_request": "请求格式有误",
    "unauthorized": "请先登录",
    "login_failed": "用户名或密码错误",
    "account_locked": "登录失败次数过多，账号已暂时锁定，请稍后再试",
    "too_many_attempts": "此处登录失败次数过多，请 15 分钟后再试",
    "account_disabled": "账号已停用，请联系乡镇卫生院",
    "device_revoked": "此设备已被停用（可能已挂失），请联系乡镇卫生院管理员",
    "forbidden": "无权访问该数据",
    "not_found": "未找到",
    "method_not_allowed": "不支持该操作",
    "conflict": "数据冲突",
    "payload_too_large": "提交的数据过大",
    "unsupported_media_type": "请以 JSON 格式提交",
    "internal_error": "服务器内部错误，数据未保存，请稍后重试",
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error the API reports to the client in the one error shape."""

    def __init__(self, status: int, code: str, errors: dict | None = None, message: str = ""):
        super().__init__(code)
        self.status = status
        self.code = code
        self.errors = errors or {}
        self.message = message or MESSAGES_ZH.get(code, code)


def error_body(status: int, code: str, errors: dict | None = None, message: str = "") -> dict:
    """Build the error payload."""
    return {
        "code": code,
        "status": status,
        "message": message or MESSAGES_ZH.get(code, code),
        "errors": errors or {},
    }


def field_errors(messages: Any) -> Any:
    """Turn marshmallow's messages into {field: [{code, message}]}, keeping list indexes.

    Our validators raise messages of the form "code|中文说明"; marshmallow's own messages
    (type errors, unknown fields) are mapped to codes in server.schemas.base.
    """
    if isinstance(messages, dict):
        return {_key(k): field_errors(v) for k, v in messages.items()}
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out = []
        for m in messages:
            code, _, text = m.partition("|")
            out.append({"code": code, "message": text or code} if text else
                       {"code": "invalid", "message": m})
        return out
    return messages


_SURROGATE = re.compile("[\ud800-\udfff]")


def _key(key: Any) -> str:
    """A field name as the client sent it, for the error's key. An unknown field's name is
    the client's own text: one with a lone surrogate (docs/adr/0046) is echoed with U+FFFD
    in its place, since no UTF-8 response can carry it."""
    text = str(key)
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)
