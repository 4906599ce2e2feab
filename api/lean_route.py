"""A route that answers without FastAPI's per-request dependency solving (the portal lookup).

On every request FastAPI solves each dependency and validates each parameter one by one,
through generic code that works out again what kind of parameter it is: for the lookup,
nine parameters, the caller and its schemes, ~45% of the request's CPU
(``bench/records_lookup_profile.py --profile``). ``LeanRoute`` is an ``APIRoute``, so
FastAPI still reads the endpoint's signature and builds the spec from it; only its handler
differs, and only for an endpoint of one shape: the ``Request``, one caller
(``Depends(CallerRule.dependency)``) and query parameters. Per request it takes FastAPI's
steps in FastAPI's order, by the same code where there is code to share:

1. the caller, by ``CallerRule.of_request`` (the same schemes, principal, key checks,
   role and purpose rules as the dependency; 401/403/400 before any parameter is looked at,
   as FastAPI solves dependencies before the endpoint's own parameters);
2. the query parameters in one pydantic call: a model made from the endpoint's declared
   parameters (their types, defaults and constraints), so nothing is declared twice; a
   failure is the ``RequestValidationError`` FastAPI raises, with the same ``loc`` and
   ``type`` of each error (``api/errors.py`` renders it);
3. the endpoint, which returns its ``Response``.

Not supported, and refused when the route is built: any other dependency (the router's
included), body, path, header or cookie parameter. Not applied either: dependencies given
to ``include_router`` (``api/app.py`` includes every router bare) and
``app.dependency_overrides``.
``tests/integration/test_lean_route.py`` holds its answers equal to a plain ``APIRoute``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError, create_model

from api.deps import CallerRule


class LeanRoute(APIRoute):
    """An ``APIRoute`` whose handler resolves the caller and the query parameters itself."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        dependant = self.dependant
        rule, caller_name = _caller_rule(dependant)
        query = query_model(dependant)
        endpoint = dependant.call
        request_name = dependant.request_param_name
        if endpoint is None or request_name is None:
            raise TypeError(f"{self.path}: a LeanRoute's endpoint takes the Request")

        async def handle(request: Request) -> Response:
            caller = await rule.of_request(request)
            try:
                values = query.model_validate(dict(request.query_params))
            except ValidationError as exc:
                raise RequestValidationError([{**e, "loc": ("query", *e["loc"])}
                                              for e in exc.errors(include_url=False)]) from None
            response = await endpoint(**{request_name: request, caller_name: caller}, **vars(values))
            assert isinstance(response, Response), "a LeanRoute's endpoint returns its Response"
            return response

        return handle


def query_model(dependant: Dependant) -> type[BaseModel]:
    """One model of the endpoint's query parameters, each with its declared type, default and
    constraints (FastAPI's own ``Query`` field), validated in one call."""
    fields: dict[str, Any] = {f.name: (f.field_info.annotation, f.field_info) for f in dependant.query_params}
    name = getattr(dependant.call, "__name__", "endpoint")
    return create_model(f"{name}_query", **fields)


def _caller_rule(dependant: Dependant) -> tuple[CallerRule, str]:
    """The endpoint's one dependency, a ``CallerRule``'s, and its parameter's name."""
    unsupported = (dependant.path_params or dependant.header_params or dependant.cookie_params
                   or dependant.body_params or dependant.response_param_name
                   or dependant.background_tasks_param_name or len(dependant.dependencies) != 1)
    dependency = dependant.dependencies[0] if dependant.dependencies else None
    call = dependency.call if dependency is not None else None
    rule = getattr(call, "__self__", None)
    if (unsupported or getattr(call, "__func__", None) is not CallerRule.dependency
            or not isinstance(rule, CallerRule) or dependency is None or dependency.name is None):
        raise TypeError(f"{dependant.path}: a LeanRoute's endpoint takes the Request, one caller "
                        "(Depends(CallerRule.dependency)) and query parameters only")
    return rule, dependency.name
