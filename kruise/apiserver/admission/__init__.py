"""Admission webhooks called by the API server, as kube-apiserver calls them (AdmissionReview v1).

`WebhookAdmission` is the crud.Admission the server runs writes through; `request_scope` and
`warning_header` let the HTTP layer collect webhooks' warnings and send them as Warning headers.
"""

from .context import request_scope, set_user, unique_warnings, warning_header
from .plugin import WebhookAdmission

__all__ = ["WebhookAdmission", "request_scope", "set_user", "unique_warnings", "warning_header"]
