"""Step descriptors: the Jenkins step class behind a node, and its short function name.

A step node records its step's *descriptor id* (a Java class name such as
``org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep``); pipeline authors know the
step by its *function name* (``sh``). This module maps between the two, for the steps of
Jenkins' core plugins and for steps the user records with flowgraph itself.

Examples
--------
>>> function_name("org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep")
'sh'
>>> descriptor_id("parallel")
'org.jenkinsci.plugins.workflow.cps.steps.ParallelStep'
>>> function_name(descriptor_id("my_custom_step"))
'my_custom_step'
"""

from __future__ import annotations

__all__ = [
    "STEP_DESCRIPTORS",
    "CUSTOM_STEP_PREFIX",
    "descriptor_id",
    "function_name",
    "display_name_of",
    "PARALLEL_STEP",
    "STAGE_STEP",
    "EXECUTOR_STEP",
]

CUSTOM_STEP_PREFIX = "flowgraph.step."

PARALLEL_STEP = "org.jenkinsci.plugins.workflow.cps.steps.ParallelStep"
STAGE_STEP = "org.jenkinsci.plugins.workflow.support.steps.StageStep"
EXECUTOR_STEP = "org.jenkinsci.plugins.workflow.support.steps.ExecutorStep"

# function name -> (descriptor id, display name as Jenkins' StepDescriptor gives it)
STEP_DESCRIPTORS: dict[str, tuple[str, str]] = {
    "sh": ("org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep", "Shell Script"),
    "bat": ("org.jenkinsci.plugins.workflow.steps.durable_task.BatchScriptStep", "Windows Batch Script"),
    "powershell": (
        "org.jenkinsci.plugins.workflow.steps.durable_task.PowershellScriptStep",
        "Windows PowerShell Script",
    ),
    "echo": ("org.jenkinsci.plugins.workflow.steps.EchoStep", "Print Message"),
    "error": ("org.jenkinsci.plugins.workflow.steps.ErrorStep", "Error signal"),
    "sleep": ("org.jenkinsci.plugins.workflow.steps.SleepStep", "Sleep"),
    "stage": (STAGE_STEP, "Stage"),
    "parallel": (PARALLEL_STEP, "Execute in parallel"),
    "node": (EXECUTOR_STEP, "Allocate node : Start"),
    "ws": ("org.jenkinsci.plugins.workflow.support.steps.WorkspaceStep", "Allocate workspace"),
    "retry": ("org.jenkinsci.plugins.workflow.steps.RetryStep", "Retry the body up to N times"),
    "timeout": ("org.jenkinsci.plugins.workflow.steps.TimeoutStep", "Enforce time limit"),
    "withEnv": ("org.jenkinsci.plugins.workflow.steps.EnvStep", "Set environment variables"),
    "dir": ("org.jenkinsci.plugins.workflow.steps.PushdStep", "Change current directory"),
    "catchError": (
        "org.jenkinsci.plugins.workflow.steps.CatchErrorStep",
        "Catch error and set build result to failure",
    ),
    "warnError": (
        "org.jenkinsci.plugins.workflow.steps.WarnErrorStep",
        "Catch error and set build and stage result to unstable",
    ),
    "unstable": ("org.jenkinsci.plugins.workflow.steps.UnstableStep", "Set stage result to unstable"),
    "input": ("org.jenkinsci.plugins.workflow.support.steps.input.InputStep", "Wait for interactive input"),
    "checkout": ("org.jenkinsci.plugins.workflow.steps.scm.GenericSCMStep", "General SCM"),
    "git": ("jenkins.plugins.git.GitStep", "Git"),
    "withCredentials": ("org.jenkinsci.plugins.credentialsbinding.impl.BindingStep", "Bind credentials to variables"),
    "archiveArtifacts": ("hudson.tasks.ArtifactArchiver", "Archive the artifacts"),
    "junit": ("hudson.tasks.junit.pipeline.JUnitResultsStep", "Archive JUnit-formatted test results"),
    "build": ("org.jenkinsci.plugins.workflow.support.steps.build.BuildTriggerStep", "Build a job"),
    "script": ("org.jenkinsci.plugins.workflow.cps.steps.ScriptStep", "Run arbitrary Pipeline script"),
    "load": (
        "org.jenkinsci.plugins.workflow.cps.steps.LoadStep",
        "Evaluate a Groovy source file into the Pipeline script",
    ),
    "readFile": ("org.jenkinsci.plugins.workflow.steps.ReadFileStep", "Read file from workspace"),
    "writeFile": ("org.jenkinsci.plugins.workflow.steps.WriteFileStep", "Write file to workspace"),
    "milestone": ("org.jenkinsci.plugins.pipeline.milestone.MilestoneStep", "The milestone step"),
    "lock": ("org.jenkins.plugins.lockableresources.LockStep", "Lock shared resource"),
    "docker": ("org.jenkinsci.plugins.docker.workflow.DockerDSL", "Docker"),
    "withDockerContainer": (
        "org.jenkinsci.plugins.docker.workflow.WithContainerStep",
        "Run build steps inside a Docker container",
    ),
}

_BY_DESCRIPTOR = {desc: name for name, (desc, _) in STEP_DESCRIPTORS.items()}
_DISPLAY_BY_DESCRIPTOR = {desc: disp for _, (desc, disp) in STEP_DESCRIPTORS.items()}


def descriptor_id(function: str) -> str:
    """The descriptor id for a step function name; unknown names get a flowgraph-local id."""
    known = STEP_DESCRIPTORS.get(function)
    return known[0] if known is not None else CUSTOM_STEP_PREFIX + function


def function_name(descriptor: str | None) -> str | None:
    """The function name for a descriptor id (``sh`` for ShellStep), or None for no descriptor.

    For a step class that is not in the table, the simple class name loses a ``Step`` suffix and
    its first letter is lower-cased (``FooBarStep`` gives ``fooBar``), the usual Jenkins naming.
    """
    if descriptor is None:
        return None
    known = _BY_DESCRIPTOR.get(descriptor)
    if known is not None:
        return known
    if descriptor.startswith(CUSTOM_STEP_PREFIX):
        return descriptor[len(CUSTOM_STEP_PREFIX) :]
    simple = descriptor.rsplit(".", 1)[-1].rsplit("$", 1)[-1]
    if simple.endswith("Step") and len(simple) > 4:
        simple = simple[:-4]
    return simple[:1].lower() + simple[1:]


def display_name_of(descriptor: str | None) -> str | None:
    """Jenkins' display name for a step descriptor when it is known (``Shell Script``)."""
    if descriptor is None:
        return None
    return _DISPLAY_BY_DESCRIPTOR.get(descriptor)
