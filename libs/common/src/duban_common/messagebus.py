"""The one dispatch style of every consumer: a handler map from message type to function
(cosmicpython's message bus). A service's `service_layer/handlers.py` ends with its
`HANDLERS = {SomeEvent: on_some_event, ...}`; the consumer looks the handler up by the
message's type, and the event types the map names are the ones the subscriber opens (the
rest of a shared topic is committed without a look, and the AsyncAPI document lists them)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from duban_contracts import Message

H = TypeVar("H", bound=Callable[..., Any])


def handled_types(handlers: Mapping[type[Message], Any]) -> frozenset[str]:
    """The event types (`EVENT_TYPE`) a handler map handles."""
    return frozenset(cls.EVENT_TYPE for cls in handlers)


def handler_for(handlers: Mapping[type[Message], H], message: Message) -> H | None:
    """The handler of `message`'s type, or None for a type the map does not name."""
    return handlers.get(type(message))
