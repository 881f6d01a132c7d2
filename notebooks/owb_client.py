"""A small client for the owb HTTP API (`./owb serve`), standard library plus numpy.

    from owb_client import Owb
    owb = Owb()                       # $OWB_URL, else http://127.0.0.1:7070
    smol = owb.model_named("SmolLM2")
    run = owb.run(smol["id"], prompt="The capital of France is")
    lens = owb.lens(run["run_id"], target=" Paris")

Every method returns the API's JSON as Python objects; an API error raises OwbError with the
server's one-line message and the HTTP status.
"""
import io
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request


class OwbError(Exception):
    def __init__(self, status, message):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class Owb:
    def __init__(self, url=None, timeout=600):
        self.url = (url or os.environ.get("OWB_URL") or "http://127.0.0.1:7070").rstrip("/")
        self.timeout = timeout

    # -- transport -------------------------------------------------------------------------

    def _request(self, method, path, body=None, params=None):
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data else {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.read(), resp.headers.get_content_type()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                message = json.loads(raw)["error"]
            except (ValueError, KeyError, TypeError):
                message = raw.decode(errors="replace")[:200]
            raise OwbError(e.code, message) from None

    def get(self, path, **params):
        raw, _ = self._request("GET", path, params=params)
        return json.loads(raw)

    def get_bytes(self, path, **params):
        raw, _ = self._request("GET", path, params=params)
        return raw

    def post(self, path, body=None):
        raw, _ = self._request("POST", path, body=body if body is not None else {})
        return json.loads(raw)

    @staticmethod
    def quote(name):
        return urllib.parse.quote(name, safe="")

    # -- models and tensors ----------------------------------------------------------------

    def health(self):
        return self.get("/api/health")

    def models(self):
        return self.get("/api/models")

    def model_named(self, fragment):
        """The first model whose name contains fragment (case-insensitive)."""
        for m in self.models():
            if fragment.lower() in m["name"].lower():
                return m
        raise LookupError(f"no model named like {fragment!r}: {[m['name'] for m in self.models()]}")

    def model(self, model_id):
        return self.get(f"/api/models/{model_id}")

    def tensors(self, model_id):
        return self.get(f"/api/models/{model_id}/tensors")

    def tensor(self, model_id, name):
        return self.get(f"/api/models/{model_id}/tensors/{self.quote(name)}")

    def histogram_png(self, model_id, name, width=640, height=360):
        return self.get_bytes(f"/api/models/{model_id}/tensors/{self.quote(name)}/histogram.png",
                              width=width, height=height)

    # -- jobs ------------------------------------------------------------------------------

    def wait(self, job_id, poll=0.25, progress=None):
        """Polls a job until it ends; returns its result or raises OwbError with its error."""
        while True:
            job = self.get(f"/api/jobs/{job_id}")
            if progress:
                progress(job)
            if job["state"] == "done":
                return job["result"]
            if job["state"] == "failed":
                raise OwbError(422, job.get("error", "job failed"))
            time.sleep(poll)

    def audit(self, model_id, progress=None):
        job = self.post(f"/api/models/{model_id}/audit")
        return self.wait(job["job_id"], progress=progress)

    # -- runs and instruments --------------------------------------------------------------

    def run(self, model_id, prompt=None, tokens=None, top=None):
        body = {"model": model_id}
        if prompt is not None:
            body["prompt"] = prompt
        if tokens is not None:
            body["tokens"] = list(tokens)
        if top is not None:
            body["top"] = top
        return self.post("/api/runs", body)

    def lens(self, run_id, top=None, target=None):
        return self.get(f"/api/runs/{run_id}/lens", top=top, target=target)

    def attention(self, run_id):
        return self.get(f"/api/runs/{run_id}/attention")

    def pattern(self, run_id, layer, head, max=None, top_k=None):
        return self.get(f"/api/runs/{run_id}/attention/{layer}/{head}", max=max, top_k=top_k)

    def dla(self, run_id, target, against=None, position=None):
        return self.get(f"/api/runs/{run_id}/dla", target=target, against=against, position=position)

    def hooks(self, run_id):
        return self.get(f"/api/runs/{run_id}/hooks")

    def hook(self, run_id, name):
        """A cached activation as a numpy array (TransformerLens shape without the batch)."""
        import numpy as np
        raw = self.get_bytes(f"/api/runs/{run_id}/hooks/{self.quote(name)}.npy")
        return np.load(io.BytesIO(raw))

    # -- diffs -----------------------------------------------------------------------------

    def diff(self, base_id, derivative_id, prompt=None, progress=None):
        body = {"base": base_id, "derivative": derivative_id}
        if prompt is not None:
            body["prompt"] = prompt
        job = self.post("/api/diffs", body)
        result = self.wait(job["job_id"], progress=progress)
        result["job_id"] = job["job_id"]
        return result

    def spectrum(self, diff_job_id, name):
        return self.get(f"/api/diffs/{diff_job_id}/tensors/{self.quote(name)}/spectrum")
