#!/usr/bin/env python3
"""Runs the run: blocks of one GitHub Actions job in order on this machine (build/run-github-actions-locally.sh).

A small, strict stand-in for the runner, enough to prove that a workflow's shell steps work as written:
  * env from the workflow, the job, $GITHUB_ENV and the step, in GitHub's order of precedence;
  * ${{ secrets.X }}, ${{ vars.X }}, ${{ env.X }}, ${{ github.X }}, ${{ runner.X }} and ${{ steps.ID.outputs.X }}
    substituted from a local map (a JSON file named by AIC_CI_CONTEXT) and from the steps run so far; any other
    expression is an error, never a silent empty string;
  * each step's $GITHUB_OUTPUT (name=value and name<<DELIMITER lines) becomes steps.ID.outputs;
  * the step's shell as GitHub runs it (bash: bash --noprofile --norc -eo pipefail; none: bash -e);
  * uses: steps are not run: each prints what stands in for it here (see USES_NOTES);
  * secret values are masked (***) in everything a step prints, as GitHub does.
The first failing step ends the run with its exit code; the job's outputs are printed at the end, and an output
that came out empty fails the run (a publish that wrote no digest is not a success).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml  # Debian python3-yaml (build/setup.sh installs it)

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
CONTEXT_REFERENCE = re.compile(rf"^(secrets|vars|env|github|runner)\.({NAME})$")
STEP_OUTPUT = re.compile(rf"^steps\.({NAME})\.outputs\.({NAME})$")
RUN_STEP_KEYS = {"name", "id", "run", "env", "shell", "working-directory", "timeout-minutes"}

# What stands in for each action on this machine: the caller (the .sh) prepared these before the run.
USES_NOTES = {
    "actions/checkout": "the temporary repository, committed, is the checkout",
    "actions/setup-dotnet": "the installed .NET SDK is used",
    "actions/cache": "XDG_CACHE_HOME points at a folder kept between local runs (the restored cache)",
    "actions/upload-artifact": "the listed files are copied into the local artifacts folder",
}


def log(message):
    print(f"[ci-local] {message}", flush=True)


class WorkflowError(Exception):
    pass


class Runner:
    def __init__(self, workflow, job_id, context, workspace, artifacts):
        self.workflow = workflow
        self.job_id = job_id
        self.job = workflow["jobs"][job_id]
        self.context = context  # {"secrets": {...}, "vars": {...}, "github": {...}, "runner": {...}, "env": overrides}
        self.workspace = workspace
        self.artifacts = artifacts
        self.steps = {}  # id -> {"outputs": {...}}
        self.github_env = {}  # what steps wrote to $GITHUB_ENV
        self.github_path = []  # what steps wrote to $GITHUB_PATH
        self.secrets = sorted((v for v in context.get("secrets", {}).values() if v), key=len, reverse=True)
        self.temp = tempfile.mkdtemp(prefix="ci-local-files-")
        # Workflow and job env are evaluated once (they may use secrets, vars, github); the local map's env
        # overrides win: they point the workflow at this machine's registry.
        self.env = {}
        for source in (workflow.get("env") or {}, self.job.get("env") or {}):
            for key, value in source.items():
                self.env[key] = self.evaluate(str(value), f"env.{key}")
        self.env.update(context.get("env", {}))

    def mask(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def evaluate(self, text, where):
        def replace(match):
            expression = match.group(1)
            if m := STEP_OUTPUT.match(expression):
                step, output = m.groups()
                if step not in self.steps:
                    raise WorkflowError(f"{where}: ${{{{ {expression} }}}} names step '{step}', which has not run before this point")
                return self.steps[step]["outputs"].get(output, "")
            if m := CONTEXT_REFERENCE.match(expression):
                context, name = m.groups()
                if context == "env":
                    return {**self.env, **self.github_env}.get(name, "")
                values = self.context.get(context, {})
                if name not in values:
                    raise WorkflowError(f"{where}: ${{{{ {expression} }}}} has no value in the local map (add {context}.{name} to build/run-github-actions-locally.sh)")
                return values[name]
            raise WorkflowError(f"{where}: ${{{{ {expression} }}}} is not an expression this local runner evaluates "
                                "(secrets/vars/env/github/runner.NAME and steps.ID.outputs.NAME only)")
        return EXPRESSION.sub(replace, text)

    def shell_command(self, shell, script):
        # GitHub's templates for the default shells on Linux runners.
        if shell is None:
            return ["bash", "-e", script]
        if shell == "bash":
            return ["bash", "--noprofile", "--norc", "-eo", "pipefail", script]
        if shell == "sh":
            return ["sh", "-e", script]
        raise WorkflowError(f"shell '{shell}' is not supported by the local runner (bash or sh)")

    def run_step(self, index, step):
        name = step.get("name") or step.get("run", "").splitlines()[0]
        unknown = set(step) - RUN_STEP_KEYS
        if unknown:
            # if:, continue-on-error: and the like change what a step means; running it anyway would prove nothing.
            raise WorkflowError(f"step {index} ({name}): keys {sorted(unknown)} are not supported by the local runner")
        where = f"step {index} ({name})"
        step_env = {k: self.evaluate(str(v), f"{where} env.{k}") for k, v in (step.get("env") or {}).items()}
        script_text = self.evaluate(step["run"], f"{where} run")
        defaults = (self.workflow.get("defaults") or {}).get("run") or {}
        job_defaults = (self.job.get("defaults") or {}).get("run") or {}
        shell = step.get("shell", job_defaults.get("shell", defaults.get("shell")))
        directory = step.get("working-directory", job_defaults.get("working-directory", defaults.get("working-directory")))
        cwd = os.path.join(self.workspace, directory) if directory else self.workspace

        files = {}
        for variable in ("GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"):
            path = os.path.join(self.temp, f"{variable.lower()}-{index}")
            open(path, "w").close()
            files[variable] = path
        script = os.path.join(self.temp, f"step-{index}.sh")
        with open(script, "w") as f:
            f.write(script_text)

        environment = dict(os.environ)
        environment.update(self.env)
        environment.update(self.github_env)
        environment.update(step_env)
        environment.update(files)
        if self.github_path:
            environment["PATH"] = os.pathsep.join(self.github_path[::-1] + [environment.get("PATH", "")])

        log(f"step {index}: {name}")
        # The block as written (before substitution), so no secret is printed.
        for line in step["run"].rstrip("\n").splitlines():
            print(f"    | {line}", flush=True)
        process = subprocess.Popen(self.shell_command(shell, script), cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        for line in process.stdout:
            sys.stdout.write(self.mask(line))
            sys.stdout.flush()
        code = process.wait()

        self.steps[step.get("id", f"__step{index}")] = {"outputs": read_key_values(files["GITHUB_OUTPUT"])}
        self.github_env.update(read_key_values(files["GITHUB_ENV"]))
        with open(files["GITHUB_PATH"]) as f:
            self.github_path += [line.strip() for line in f if line.strip()]
        if code != 0:
            log(f"step {index} ({name}) failed with exit code {code}")
        return code

    def note_uses(self, index, step):
        action = step["uses"].split("@")[0]
        note = USES_NOTES.get(action, "no local equivalent: skipped")
        log(f"step {index}: uses {step['uses']}: not run here; {note}")
        if action == "actions/upload-artifact":
            self.upload(index, step.get("with") or {})

    def upload(self, index, with_):
        # The paths are checked as upload-artifact would: a missing file with if-no-files-found: error fails.
        name = self.evaluate(str(with_.get("name", "artifact")), f"step {index} with.name")
        target = os.path.join(self.artifacts, name)
        os.makedirs(target, exist_ok=True)
        missing = []
        for line in self.evaluate(str(with_.get("path", "")), f"step {index} with.path").splitlines():
            path = line.strip()
            if not path:
                continue
            source = os.path.join(self.workspace, path)
            if os.path.isfile(source):
                shutil.copy2(source, target)
                log(f"    artifact {name}: {path}")
            else:
                missing.append(path)
        if missing and with_.get("if-no-files-found", "warn") == "error":
            raise WorkflowError(f"step {index}: upload-artifact found no file at {', '.join(missing)} (if-no-files-found: error)")
        for path in missing:
            log(f"    warning: artifact {name}: no file at {path}")

    def run(self):
        steps = self.job.get("steps") or []
        for index, step in enumerate(steps, start=1):
            if "run" in step:
                code = self.run_step(index, step)
                if code != 0:
                    return code
            elif "uses" in step:
                self.note_uses(index, step)
            else:
                raise WorkflowError(f"step {index} has neither run: nor uses:")
        outputs = {k: self.evaluate(str(v), f"jobs.{self.job_id}.outputs.{k}") for k, v in (self.job.get("outputs") or {}).items()}
        log(f"job {self.job_id} succeeded; outputs:")
        empty = []
        for key, value in outputs.items():
            print(f"{key}={self.mask(value)}", flush=True)
            if not value:
                empty.append(key)
        if empty:
            log(f"job outputs came out empty: {', '.join(empty)}")
            return 1
        return 0


def read_key_values(path):
    """$GITHUB_OUTPUT / $GITHUB_ENV format: name=value lines and name<<DELIMITER ... DELIMITER blocks."""
    values = {}
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            block = []
            while i < len(lines) and lines[i] != delimiter:
                block.append(lines[i])
                i += 1
            if i == len(lines):
                raise WorkflowError(f"{path}: '{key}<<{delimiter}' has no closing '{delimiter}' line")
            i += 1
            values[key] = "\n".join(block)
        elif "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
        else:
            raise WorkflowError(f"{path}: line '{line}' is neither name=value nor name<<DELIMITER")
    return values


def main():
    if len(sys.argv) != 4:
        print("usage: run-github-actions-locally.py WORKFLOW WORKSPACE ARTIFACTS (context JSON in $AIC_CI_CONTEXT)", file=sys.stderr)
        return 2
    workflow_path, workspace, artifacts = sys.argv[1:]
    with open(workflow_path) as f:
        workflow = yaml.safe_load(f)
    with open(os.environ["AIC_CI_CONTEXT"]) as f:
        context = json.load(f)
    jobs = workflow.get("jobs") or {}
    if len(jobs) != 1:
        print(f"[ci-local] {workflow_path}: one job expected, found {len(jobs)} ({', '.join(jobs)})", file=sys.stderr)
        return 2
    job_id = next(iter(jobs))
    try:
        return Runner(workflow, job_id, context, workspace, artifacts).run()
    except WorkflowError as e:
        print(f"[ci-local] {workflow_path}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
