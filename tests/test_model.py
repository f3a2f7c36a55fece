"""FlowNode, NodeKind, actions and Result: the model's own rules."""

from __future__ import annotations

import pickle

import pytest

from flowgraph import (
    ArgumentsAction,
    ErrorAction,
    FlowNode,
    LabelAction,
    MaskedValue,
    NodeKind,
    ParallelLabelAction,
    PauseAction,
    Result,
    TagsAction,
    ThreadNameAction,
    TimingAction,
    UnknownAction,
    WarningAction,
    action_from_dict,
    action_to_dict,
    registered_actions,
)
from flowgraph.steps import PARALLEL_STEP, descriptor_id, function_name

SH = "org.jenkinsci.plugins.workflow.steps.durable_task.ShellStep"


def test_flow_start_and_end_are_block_start_and_end() -> None:
    assert NodeKind.FLOW_START.is_block_start and not NodeKind.FLOW_START.is_block_end
    assert NodeKind.FLOW_END.is_block_end and not NodeKind.FLOW_END.is_block_start
    assert not NodeKind.ATOM.is_block_start and not NodeKind.ATOM.is_block_end


def test_node_fields_are_read_only_and_actions_found_by_type() -> None:
    node = FlowNode(
        "3", NodeKind.ATOM, ["2"], descriptor_id=SH, actions=[ArgumentsAction({"script": "make"}), TimingAction(5)]
    )
    assert node.parent_ids == ("2",)
    assert node.function_name == "sh"
    assert node.get_action(TimingAction) == TimingAction(5)
    assert node.get_action(ErrorAction) is None
    assert node.start_ms == 5
    assert node.argument_summary() == "make"
    with pytest.raises(AttributeError):
        node.id = "4"  # type: ignore[misc]
    node.add_action(ErrorAction("hudson.AbortException", "boom"))
    assert node.error is not None and node.error.message == "boom"


def test_parallel_label_is_both_label_and_thread_name() -> None:
    node = FlowNode(
        "6", NodeKind.BLOCK_START, ["4"], descriptor_id=PARALLEL_STEP, actions=[ParallelLabelAction("unit")]
    )
    assert node.get_action(LabelAction) is node.get_action(ThreadNameAction)
    assert node.thread_name == "unit"
    assert node.display_name == "Branch: unit"
    assert node.label == "Branch: unit"


def test_block_end_needs_start_and_only_block_ends_have_one() -> None:
    with pytest.raises(ValueError, match="start_id"):
        FlowNode("5", NodeKind.BLOCK_END, ["4"])
    with pytest.raises(ValueError, match="not a block end"):
        FlowNode("5", NodeKind.ATOM, ["4"], start_id="3")
    with pytest.raises(ValueError, match="parents"):
        FlowNode("2", NodeKind.FLOW_START, ["1"])


def test_display_names_follow_jenkins() -> None:
    assert FlowNode("2", NodeKind.FLOW_START).display_name == "Start of Pipeline"
    assert FlowNode("9", NodeKind.FLOW_END, ["8"], start_id="2").display_name == "End of Pipeline"
    assert FlowNode("3", NodeKind.ATOM, ["2"], descriptor_id=SH).display_name == "Shell Script"
    stage = FlowNode(
        "4", NodeKind.BLOCK_START, ["3"], descriptor_id=descriptor_id("stage"), actions=[LabelAction("Build")]
    )
    assert stage.display_name == "Build"


def test_repr_and_equality_never_touch_other_nodes() -> None:
    a = FlowNode("3", NodeKind.ATOM, ("2",), descriptor_id=SH, actions=[TimingAction(1)])
    b = FlowNode("3", NodeKind.ATOM, ("2",), descriptor_id=SH, actions=[TimingAction(1)])
    c = FlowNode("3", NodeKind.ATOM, ("2",), descriptor_id=SH, actions=[TimingAction(2)])
    assert a == b and hash(a) == hash(b) and a != c
    assert repr(a) == "FlowNode(id='3', kind=ATOM, parents=('2',), step='sh')"
    assert pickle.loads(pickle.dumps(c)) == c


def test_function_names_for_known_custom_and_unknown_descriptors() -> None:
    assert function_name(SH) == "sh"
    assert function_name("org.example.plugin.DeployToCloudStep") == "deployToCloud"
    assert function_name(descriptor_id("publish")) == "publish"
    assert function_name(None) is None


def test_masked_arguments_stay_masked_through_dict_round_trip() -> None:
    action = ArgumentsAction(
        {"script": "curl -H $TOKEN", "token": MaskedValue.MASKED_VALUE}, sensitive_variables={"TOKEN"}, unmodified=False
    )
    back = action_from_dict(action_to_dict(action))
    assert back == action
    assert isinstance(back, ArgumentsAction)
    assert back.arguments["token"] is MaskedValue.MASKED_VALUE
    assert back.sensitive_variables == frozenset({"TOKEN"}) and back.unmodified is False
    with pytest.raises(TypeError):
        back.arguments["token"] = "secret"  # type: ignore[index]


@pytest.mark.parametrize(
    "action",
    [
        TimingAction(1_700_000_000_000),
        LabelAction("Build"),
        ParallelLabelAction("unit"),
        ErrorAction("org.jenkinsci.plugins.workflow.steps.FlowInterruptedException", None, "", "id-1", Result.ABORTED),
        WarningAction(Result.UNSTABLE, "flaky"),
        TagsAction({"STAGE_STATUS": "SKIPPED_FOR_CONDITIONAL"}),
        PauseAction("Input", 10, 0),
    ],
)
def test_every_builtin_action_round_trips_through_its_dict_form(action: object) -> None:
    assert action_from_dict(action_to_dict(action)) == action  # type: ignore[arg-type]


def test_unknown_kinds_are_kept_not_dropped() -> None:
    restored = action_from_dict({"kind": "com.example.FancyAction", "data": {"x": 1}})
    assert isinstance(restored, UnknownAction)
    assert restored.class_name == "com.example.FancyAction"
    assert "UnknownAction" in registered_actions()


def test_interruption_and_result_order() -> None:
    abort = ErrorAction("org.jenkinsci.plugins.workflow.steps.FlowInterruptedException", result=Result.ABORTED)
    assert abort.is_interruption
    assert not ErrorAction("hudson.AbortException").is_interruption
    # Jenkins' ordinals: SUCCESS < UNSTABLE < FAILURE < NOT_BUILT < ABORTED
    order = [Result.SUCCESS, Result.UNSTABLE, Result.FAILURE, Result.NOT_BUILT, Result.ABORTED]
    assert sorted(order, key=lambda r: r.ordinal) == order
    assert Result.worst([Result.FAILURE, Result.NOT_BUILT]) is Result.NOT_BUILT
    assert Result.SUCCESS.color == "BLUE" and not Result.ABORTED.complete_build


def test_pause_duration_uses_now_while_paused() -> None:
    assert PauseAction("Input", 100, 0).duration_ms(now_ms=700) == 600
    assert PauseAction("Input", 100, 250).duration_ms(now_ms=700) == 150
