"""A TorchServe custom handler (module-level entry point): answers each request with the length
of its body, so the archive needs no model weights and no PyTorch to be built."""


def handle(data, context):
    if data is None:  # TorchServe calls the handler once with no data when it loads the model
        return None
    answers = []
    for row in data:
        body = row.get("data") or row.get("body") or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        answers.append({"length": len(body)})
    return answers
