"""A small client of jobs-api, for the post-deploy tests, the benchmark and scripts: each
route, the upload through its pre-signed POST, waiting for a job. Requests are signed
(SigV4, ``execute-api``) when given a boto3 session, or carry ``x-api-key``. Standard
library and botocore only."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from applications_repo.jobs_api.models import PARQUET_TYPE

FINISHED = ("SUCCEEDED", "FAILED", "REJECTED", "CANCELLED")
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Answer:
    """One response: its status, headers and body (JSON when it is)."""

    status: int
    headers: Mapping[str, str]
    body: Any


class ApiCallError(RuntimeError):
    """The API answered an error where success was expected."""

    def __init__(self, answer: Answer) -> None:
        detail = answer.body.get("detail") if isinstance(answer.body, dict) else answer.body
        super().__init__(f"{answer.status}: {detail}")
        self.answer = answer


class JobsApiClient:
    """Calls one stage of the API at ``base_url`` (``.../dev``)."""

    def __init__(
        self,
        base_url: str,
        *,
        session: Any = None,
        api_key: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.session, self.api_key = session, api_key

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One request; any status is an answer."""
        data = None if body is None else json.dumps(body).encode()
        sent = (
            {"Content-Type": "application/json", **(headers or {})} if data else dict(headers or {})
        )
        if self.api_key:
            sent["x-api-key"] = self.api_key
        url = f"{self.base_url}{path}"
        if self.session is not None:
            sent = self._signed(method, url, data, sent)
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return _answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return _answer(error.code, error.headers, error.read())

    def ok(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        """The body of a successful request.

        Raises:
            ApiCallError: for any status from 400.
        """
        answer = self.call(method, path, body, headers)
        if answer.status >= 400:
            raise ApiCallError(answer)
        return answer.body

    def upload(self, path: Path, filename: str | None = None) -> str:
        """Create a job for ``path`` and upload it with the pre-signed POST; the job id."""
        data = path.read_bytes()
        ticket = self.ok(
            "POST", "/upload", {"filename": filename or path.name, "sizeBytes": len(data)}
        )
        post_form(ticket["upload"]["url"], ticket["upload"]["fields"], data)
        return ticket["jobId"]

    def trigger(self, job_id: str, key: str | None = None) -> Answer:
        headers = {"Idempotency-Key": key} if key else {}
        return self.call("POST", "/trigger-job", {"jobId": job_id}, headers)

    def job(self, job_id: str) -> dict[str, Any]:
        return self.ok("GET", f"/job-status/{job_id}")

    def wait(
        self, job_id: str, statuses: tuple[str, ...] = FINISHED, timeout: float = 300
    ) -> dict[str, Any]:
        """The job once it is in one of ``statuses``.

        Raises:
            TimeoutError: when it is not after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in statuses:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job['status']} after {timeout:.0f}s")
            time.sleep(0.2)

    def download(self, job_id: str) -> bytes:
        """The job's JSON Lines, through its pre-signed GET."""
        link = self.ok("GET", f"/download/{job_id}")
        with urllib.request.urlopen(link["url"], timeout=TIMEOUT_SECONDS) as response:
            return response.read()

    def _signed(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str]
    ) -> dict[str, str]:
        credentials = self.session.get_credentials().get_frozen_credentials()
        request = AWSRequest(method=method, url=url, data=data, headers=headers)
        SigV4Auth(credentials, "execute-api", self.session.region_name).add_auth(request)
        return dict(request.headers.items())


def post_form(url: str, fields: Mapping[str, str], data: bytes) -> None:
    """A multipart POST of ``fields`` then the file, as a browser sends a pre-signed POST.

    Raises:
        ApiCallError: when the storage refuses it.
    """
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\n'
        f"Content-Type: {PARQUET_TYPE}\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        url,
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
            return
    except urllib.error.HTTPError as error:
        raise ApiCallError(_answer(error.code, error.headers, error.read())) from error


def _answer(status: int, headers: Any, raw: bytes) -> Answer:
    text = raw.decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(text) if text else None
    except json.JSONDecodeError:
        body = text
    return Answer(status, {k.lower(): v for k, v in dict(headers).items()}, body)
