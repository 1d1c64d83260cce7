"""Compact JSON in which money keeps its exact decimal text.

json.dumps has no way to write a number from its text, and going through
float would turn 19.99 into whatever the nearest double prints as; the
generators wrap amounts in Raw and write them with dumps() below.
"""
import json


class Raw(str):
    """A JSON number written as this exact text."""


def dumps(obj):
    if isinstance(obj, Raw):
        return str(obj)
    if isinstance(obj, dict):
        return "{" + ",".join(json.dumps(k) + ":" + dumps(v) for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    return json.dumps(obj, ensure_ascii=False)
