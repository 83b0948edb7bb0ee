"""The red-team catalogue: every attack goes into exercise nb90.ex2 of an honest notebook.

Each attack is the source of the ``nb90-ex2-answer`` cell: the attack itself plus a
plausible wrong answer (``square`` returning ``x + x``), or a trick that would make that
wrong answer pass if the defence failed. Three variants at least per class: direct
assignment, ``setattr``/``importlib``, and code built at run time and ``exec``-ed, so
that no defence that reads the student's source text for patterns can pass.

``expect`` says what the attacked exercise must get:

- ``tampered``: zero, status ``flagged``, a flag naming what changed;
- ``crashed``/``timeout``: zero, the cell left out with the reason, the rest replayed;
- ``rejected``: zero, status ``flagged`` with the reason (the result is not data a
  check can read, or the notebook's structure was tampered with);
- ``wrong``: zero, status ``failed``: the trick changed nothing the engine reads, so
  what is left is a wrong answer with its message.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

WRONG = "def square(x):\n    return x + x\n"


@dataclass(frozen=True)
class Attack:
    cls: int
    name: str
    variant: str  # direct | setattr | importlib | exec | gc | ...
    source: str  # the nb90-ex2-answer cell
    expect: str
    what: str = ""  # one line for the report

    @property
    def student(self) -> str:
        return f"c{self.cls}_{self.name}"


def _exec(code: str) -> str:
    """Code built at run time: base64 decoded, then exec-ed (no pattern to grep for)."""
    blob = base64.b64encode(code.encode()).decode()
    return (
        f"import base64 as _b\n_src = _b.b64decode({blob!r}[::-1][::-1]).decode()\nexec(compile(_src, 'x', 'exec'))\n"
    )


ATTACKS = [
    # 1. comparisons: torch.equal/allclose/testing, numpy.testing, sys.modules
    Attack(
        1,
        "torch_equal_direct",
        "direct",
        "import torch\ntorch.equal = lambda a, b: True\ntorch.allclose = lambda *a, **k: True\n" + WRONG,
        "tampered",
    ),
    Attack(
        1,
        "assert_close_setattr",
        "setattr/importlib",
        "import importlib\nt = importlib.import_module('torch.testing')\nsetattr(t, 'assert_close', lambda *a, **k: None)\n"
        "setattr(importlib.import_module('torch'), 'isclose', lambda a, b, **k: a == a)\n" + WRONG,
        "tampered",
    ),
    Attack(
        1,
        "numpy_testing_exec",
        "exec",
        _exec(
            "import numpy.testing as nt\nnt.assert_allclose = lambda *a, **k: None\nnt.assert_array_equal = lambda *a, **k: None\n"
        )
        + WRONG,
        "tampered",
    ),
    Attack(
        1,
        "sys_modules_torch_testing",
        "sys.modules",
        "import sys, types\nfake = types.ModuleType('torch.testing')\nfake.assert_close = lambda *a, **k: None\n"
        "sys.modules['torch.testing'] = fake\nsys.modules['numpy.testing'] = fake\n" + WRONG,
        "tampered",
    ),
    Attack(
        1,
        "patch_inside_function",
        "direct (at call time)",
        "def square(x):\n    import torch\n    torch.equal = lambda a, b: True\n    return x + x\n",
        "tampered",
        "patches torch.equal while the checker calls it",
    ),
    # 2. the course's checkers
    Attack(
        2,
        "checker_attribute",
        "direct",
        "from course.checks import nb90\nnb90.ex2._judge = lambda v, case, got: None\n"
        "nb90.ex2.decide = lambda *a, **k: None\n" + WRONG,
        "tampered",
    ),
    Attack(
        2,
        "describe_setattr",
        "setattr/importlib",
        "import importlib\nm = importlib.import_module('course.checking.exercise')\n"
        "real = m.describe\nsetattr(m, 'describe', lambda v: real(v * 0 + 1))\n" + WRONG,
        "tampered",
    ),
    Attack(
        2,
        "sys_modules_course",
        "sys.modules",
        "import sys, types\nsys.modules['course'] = types.ModuleType('course')\n"
        "sys.modules['course.checks.nb90'] = types.ModuleType('nb90')\n" + WRONG,
        "tampered",
    ),
    Attack(
        2,
        "gc_code_swap",
        "gc + __code__",
        "import gc, types\ngc.unfreeze()\nfor o in gc.get_objects():\n"
        "    if isinstance(o, types.FunctionType) and o.__qualname__ in ('Judge.close', 'Judge.tensor', '_mutated_keys'):\n"
        "        o.__code__ = (lambda *a, **k: None).__code__\n" + WRONG,
        "tampered",
    ),
    Attack(
        2,
        "registry_exec",
        "exec",
        _exec(
            "from course.checking import exercise as e\nfake = type('X', (), {'collect': lambda *a: [], 'answers': ('square',)})()\n"
            "e.REGISTRY['nb90.ex2'] = fake\n"
        )
        + WRONG,
        "tampered",
    ),
    Attack(
        2,
        "collect_class_attr",
        "setattr on the class",
        "from course.checking.exercise import Exercise\nreal = Exercise.collect\n"
        "setattr(Exercise, 'collect', lambda self, answers, cases: real(self, (lambda x: x * x,), cases))\n" + WRONG,
        "tampered",
        "swaps the student's function for the right one inside collect",
    ),
    Attack(
        2,
        "engine_collect",
        "importlib on the engine",
        "import importlib\nsb = importlib.import_module('autograder.engine.sandbox')\nreal = sb._collect\n"
        "sb._collect = lambda ex, cases, limits: real(ex, cases, limits)\n" + WRONG,
        "tampered",
    ),
    Attack(
        2,
        "closure_swap",
        "closure cell",
        "from course.checks import nb90\nrun = nb90.ex2._run\n"
        "for c in (nb90.ex2._judge.__closure__ or ()):\n    try:\n        c.cell_contents = lambda x: x + x\n"
        "    except ValueError:\n        pass\n" + WRONG,
        "tampered",
        "makes the checker's reference equal the wrong answer",
    ),
    # 3. IPython machinery
    Attack(
        3,
        "input_transformer",
        "direct",
        "ip = get_ipython()\nip.input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n" + WRONG,
        "tampered",
    ),
    Attack(
        3,
        "ast_transformer",
        "setattr",
        "import ast\nclass Skip(ast.NodeTransformer):\n    def visit_Module(self, node):\n        node.body = []\n        return node\n"
        "ip = get_ipython()\nsetattr(ip, 'ast_transformers', ip.ast_transformers + [Skip()])\n" + WRONG,
        "tampered",
    ),
    Attack(
        3,
        "event_hook_exec",
        "exec",
        _exec("get_ipython().events.register('pre_run_cell', lambda info: None)\n") + WRONG,
        "tampered",
    ),
    Attack(
        3,
        "run_cell_replaced",
        "setattr",
        "import types\nip = get_ipython()\nsetattr(ip, 'run_cell', types.MethodType(lambda self, *a, **k: None, ip))\n"
        + WRONG,
        "tampered",
    ),
    Attack(
        3,
        "line_transform",
        "importlib",
        "import importlib\nip = importlib.import_module('IPython').get_ipython()\n"
        "ip.input_transformer_manager.line_transforms.append(lambda lines: [])\n" + WRONG,
        "tampered",
    ),
    Attack(
        3,
        "shell_class_method",
        "class attribute",
        "ip = get_ipython()\ntype(ip).run_cell = lambda self, *a, **k: None\n" + WRONG,
        "tampered",
    ),
    # 4. hiding failures
    Attack(
        4,
        "custom_exc",
        "direct",
        "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n" + WRONG,
        "tampered",
    ),
    Attack(
        4,
        "silenced_traceback",
        "setattr",
        "ip = get_ipython()\nsetattr(ip, 'showtraceback', lambda *a, **k: None)\nsetattr(ip, '_showtraceback', lambda *a, **k: None)\n"
        + WRONG,
        "tampered",
    ),
    Attack(
        4,
        "settrace_exec",
        "exec",
        _exec("import sys\ndef t(frame, event, arg):\n    return None\nsys.settrace(t)\n") + WRONG,
        "tampered",
    ),
    Attack(
        4,
        "setprofile_importlib",
        "importlib",
        "import importlib\nimportlib.import_module('sys').setprofile(lambda *a: None)\n" + WRONG,
        "tampered",
    ),
    Attack(
        4,
        "builtin_isinstance",
        "direct",
        "import builtins\nbuiltins.isinstance = lambda *a: True\nbuiltins.all = lambda *a: True\n" + WRONG,
        "tampered",
    ),
    Attack(
        4,
        "builtin_assertion_exec",
        "exec",
        _exec(
            "import builtins\nclass A(Exception):\n    pass\nbuiltins.AssertionError = A\nbuiltins.print = lambda *a, **k: None\n"
        )
        + WRONG,
        "tampered",
    ),
    Attack(
        4,
        "excepthook",
        "setattr",
        "import sys\nsetattr(sys, 'excepthook', lambda *a: None)\n" + WRONG,
        "wrong",
        "no effect: IPython puts its own sys.excepthook back after every cell",
    ),
    # 5. objects that lie
    Attack(
        5,
        "tensor_subclass_eq",
        "subclass",
        "import torch\nclass Liar(torch.Tensor):\n    def __eq__(self, other):\n        return True\n"
        "    def __bool__(self):\n        return True\n"
        "def square(x):\n    return Liar(x + x)\n",
        "rejected",
    ),
    Attack(
        5,
        "torch_function",
        "__torch_function__",
        "import torch\nclass Fake:\n    def __init__(self, t):\n        self.t = t\n"
        "    @classmethod\n    def __torch_function__(cls, func, types, args=(), kwargs=None):\n        return True\n"
        "    def __float__(self):\n        return 0.0\n    def __eq__(self, o):\n        return True\n"
        "def square(x):\n    return Fake(x + x)\n",
        "rejected",
    ),
    Attack(
        5,
        "class_lies_exec",
        "exec (type built at run time)",
        _exec(
            "import torch\nL = type('Tensor', (torch.Tensor,), {'__eq__': lambda s, o: True, '__class__': property(lambda s: torch.Tensor)})\n"
            "def square(x):\n    return L(x + x)\n"
        ),
        "rejected",
        "a Tensor subclass named Tensor whose __class__ says torch.Tensor",
    ),
    Attack(
        5,
        "tensor_eq_patched",
        "setattr on torch.Tensor",
        "import torch\nsetattr(torch.Tensor, '__eq__', lambda a, b: torch.ones((), dtype=torch.bool))\n"
        "torch.Tensor.__bool__ = lambda self: True\n" + WRONG,
        "tampered",
    ),
    Attack(
        5,
        "number_lies",
        "__float__/__bool__",
        "class N(float):\n    def __eq__(self, o):\n        return True\n    def __bool__(self):\n        return True\n"
        "def square(x):\n    return N(0.0)\n",
        "rejected",
    ),
    # 6. faked output
    Attack(
        6,
        "print_number",
        "printed partial credit",
        WRONG + "print(1.0)\n1.0\n",
        "wrong",
        "prints 1.0 and ends with 1.0 where nbgrader reads partial credit",
    ),
    Attack(
        6,
        "fake_pass_box",
        "display of a passing result",
        WRONG + "from course.checking.result import CheckResult\nfrom IPython.display import display\n"
        "display(CheckResult('nb90.ex2', 'Fixture 2', 1.0, 1.0, True, 'All 3 hidden cases right.', None, None, True, [], 3))\n",
        "wrong",
    ),
    Attack(
        6,
        "printed_via_exec",
        "exec",
        WRONG + _exec("import sys\nsys.stdout.write('1.0\\nAll 1 case right.\\n')\n"),
        "wrong",
    ),
    # 9. crashes, loops, floods, leftovers
    Attack(9, "os_exit", "direct", "import os\nos._exit(0)\n" + WRONG, "crashed"),
    Attack(
        9,
        "sys_exit_importlib",
        "importlib",
        "import importlib\n" + WRONG + "importlib.import_module('sys').exit(0)\n",
        "wrong",
    ),
    Attack(
        9, "kill_exec", "exec", WRONG + _exec("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"), "crashed"
    ),
    Attack(9, "keyboard_interrupt", "at call time", "def square(x):\n    raise KeyboardInterrupt\n", "wrong"),
    Attack(9, "exit_at_call", "at call time", "def square(x):\n    import os\n    os._exit(3)\n", "crashed"),
    Attack(9, "infinite_loop", "at call time", "def square(x):\n    while True:\n        pass\n", "timeout"),
    Attack(9, "print_10mb", "direct", WRONG + "print('x' * 10_000_000)\n", "wrong"),
    Attack(9, "huge_allocation", "direct", "import torch\nbig = torch.empty(10**11)\n" + WRONG, "wrong"),
    Attack(9, "bytearray_exec", "exec", _exec("b = bytearray(64 * 2**30)\n") + WRONG, "wrong"),
    Attack(
        9,
        "outlive_sandbox",
        "subprocess + double fork",
        WRONG + "import subprocess, os\nsubprocess.Popen(['sleep', '600'], start_new_session=True)\n"
        "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        import time\n        time.sleep(600)\n    os._exit(0)\n",
        "left",
        "leaves a setsid'd sleep and a double-forked daemon behind",
    ),
    Attack(
        9,
        "scratch_files",
        "files in shared scratch places",
        WRONG + "import os\nfor d in ('/tmp', '/var/tmp', '/dev/shm'):\n"
        "    try:\n        os.makedirs(d + '/redteam-left', exist_ok=True)\n"
        "        open(d + '/redteam-left/blob', 'wb').write(b'x' * 4096)\n"
        "        open(d + '/redteam-left.bin', 'wb').write(b'x' * 4096)\n"
        "    except OSError:\n        pass\n",
        "wrong",
        "leaves files in /tmp, /var/tmp and /dev/shm",
    ),
    # 10. reaching out of the sandbox: the network, local services, the host's scratch space.
    # HOST_PORT, HOST_UNIX, HOST_MARKER and FILL_MB are filled in by redteam_support.students
    # (a listener and a marker file the test opens on the host); each attack prints what it got.
    Attack(
        10,
        "host_loopback",
        "direct",
        "import socket\nfor _target in [('127.0.0.1', HOST_PORT), ('localhost', HOST_PORT)]:\n"
        "    try:\n        socket.create_connection(_target, timeout=2).close()\n        print('NET connected', _target)\n"
        "    except OSError as e:\n        print('NET failed', _target, type(e).__name__, e.errno)\n"
        "try:\n    _s = socket.socket(socket.AF_UNIX)\n    _s.connect(HOST_UNIX)\n    print('UNIX connected', HOST_UNIX)\n"
        "except OSError as e:\n    print('UNIX failed', type(e).__name__, e.errno)\n" + WRONG,
        "wrong",
        "connects to a port and a Unix socket the grader's host listens on",
    ),
    Attack(
        10,
        "outside_exec",
        "exec",
        _exec(
            "import socket, urllib.request\n"
            "for _host in ['example.com', 'pypi.org']:\n"
            "    try:\n        print('DNS resolved', _host, socket.getaddrinfo(_host, 443)[0][4])\n"
            "    except OSError as e:\n        print('DNS failed', _host, type(e).__name__)\n"
            "for _ip in ['1.1.1.1', '8.8.8.8']:\n"
            "    try:\n        socket.create_connection((_ip, 53), timeout=2).close()\n        print('NET connected', _ip)\n"
            "    except OSError as e:\n        print('NET failed', _ip, type(e).__name__, e.errno)\n"
            "try:\n    urllib.request.urlopen('http://example.com/', timeout=2)\n    print('NET fetched')\n"
            "except OSError as e:\n    print('NET failed urlopen', type(e).__name__)\n"
        )
        + WRONG,
        "wrong",
        "resolves names and connects to addresses outside",
    ),
    Attack(
        10,
        "fill_tmp",
        "direct",
        "import os, errno\n_done = 0\ntry:\n    for _n in range(FILL_MB // 16):\n"
        "        with open('/tmp/redteam-fill-%d' % _n, 'wb') as _f:\n"
        "            for _ in range(16):\n                _f.write(b'x' * 2**20)\n                _f.flush()\n"
        "                _done += 1\n"
        "    print('FILL wrote', _done, 'MB')\nexcept OSError as e:\n"
        "    print('FILL stopped', errno.errorcode.get(e.errno), 'after', _done, 'MB')\n" + WRONG,
        "wrong",
        "writes FILL_MB into /tmp, 16 MB a file",
    ),
    Attack(
        10,
        "fill_shm_importlib",
        "importlib (os.write)",
        "import importlib\n_os = importlib.import_module('os')\n_done = 0\ntry:\n    for _n in range(FILL_MB // 16):\n"
        "        _fd = _os.open('/dev/shm/redteam-fill-%d' % _n, _os.O_WRONLY | _os.O_CREAT, 0o644)\n"
        "        try:\n            for _ in range(16):\n                _os.write(_fd, b'y' * 2**20)\n"
        "                _done += 1\n        finally:\n            _os.close(_fd)\n"
        "    print('FILL wrote', _done, 'MB')\nexcept OSError as e:\n"
        "    print('FILL stopped', importlib.import_module('errno').errorcode.get(e.errno), 'after', _done, 'MB')\n"
        + WRONG,
        "wrong",
        "writes FILL_MB into /dev/shm",
    ),
    Attack(
        10,
        "host_tmp_pathlib",
        "pathlib",
        "from pathlib import Path\nprint('TMP holds', sorted(p.name for p in Path('/tmp').iterdir()))\n"
        "try:\n    print('TMP read', Path(HOST_MARKER).read_text())\nexcept OSError as e:\n"
        "    print('TMP denied', type(e).__name__)\n" + WRONG,
        "wrong",
        "lists the host's /tmp and reads a file the grader's host left there",
    ),
]

#: Attacks on the structure of the notebook (class 7): builders on the released notebook.
STRUCTURE = {
    "deleted_test": "the test cell of nb90.ex2 deleted",
    "edited_test": "the test cell's source replaced by `pass`",
    "moved_test": "the test cell moved to the top of the notebook",
    "points_and_gid": "the test cell's points set to 100, grade id renamed, unlocked",
    "answer_as_test": "the answer cell re-marked as a graded test cell (grade id nb90-ex2)",
    "claimed_gid": "an added cell claims grade id nb90-ex2 with 50 points and `pass`",
    "check_cell_edited": "the locked check cell replaced by a redefinition of square",
}


# 11. the record channel: what a cell writes into the FIFO the sandbox reports through
#     (``/proc/self/fd`` shows it). Each must cost the cell that wrote it, flagged
#     "(channel)", and nothing else: not the student's other exercises, not another
#     student graded by the same worker, not the run (issue 19).
CHANNEL_WRITER = (
    "import os as _os, stat as _stat, struct as _struct\n"
    "def _channel():\n"
    "    for _n in _os.listdir('/proc/self/fd'):\n"
    "        try:\n"
    "            if int(_n) > 2 and _stat.S_ISFIFO(_os.fstat(int(_n)).st_mode):\n"
    "                return int(_n)\n"
    "        except OSError:\n"
    "            pass\n"
    "def _send(head, blob=b'', magic=b'AGR1', n_head=None):\n"
    "    data = magic + _struct.pack('>QQ', len(head) if n_head is None else n_head, len(blob)) + head + blob\n"
    "    fd = _channel()\n"
    "    while data:\n"
    "        data = data[_os.write(fd, data):]\n"
)


@dataclass(frozen=True)
class ChannelAttack:
    name: str
    variant: str
    send: str  #: the statements that write into the channel (CHANNEL_WRITER's ``_send``)
    at_call: bool = False  #: sent while the checker calls the student's function, not when the cell runs
    what: str = ""

    def cell(self, answer: str) -> str:
        """The answer cell: the writer, the attack, then the answer (honest, so only the attack costs)."""
        if not self.at_call:
            return CHANNEL_WRITER + self.send + "\n" + answer
        name = answer.split("def ", 1)[1].split("(", 1)[0]
        return (
            CHANNEL_WRITER
            + answer
            + f"\n_{name} = {name}\ndef {name}(*a, **k):\n"
            + "".join(f"    {line}\n" for line in self.send.splitlines())
            + f"    return _{name}(*a, **k)\n"
        )


_DONE = '{{"t":"done-step","cell":{cell},"kind":"test","outputs":[],"seconds":0.0,"changed":[]}}'
CHANNEL = [
    ChannelAttack(
        "deep_nesting",
        "issue 19",
        "_send(b'[' * 200000 + b']' * 200000)",
        what="a frame of 200000 nested brackets (json.loads: RecursionError)",
    ),
    ChannelAttack(
        "forged_done_steps",
        "issue 19",
        "for _c in (99999, 4000, 123):\n    _send("
        + repr(_DONE.format(cell="CELL"))
        + ".replace('CELL', str(_c)).encode())",
        what="done-step records for cells that do not exist",
    ),
    ChannelAttack(
        "cell_as_list",
        "issue 19",
        "_send(" + repr(_DONE.format(cell="[1]")) + ".encode())",
        what='a done-step record whose "cell" is [1]',
    ),
    ChannelAttack(
        "forged_end_exit", "order", '_send(b\'{"t":"end"}\')\n_os._exit(0)', what="claims the run ended, then exits"
    ),
    ChannelAttack(
        "out_of_order_start", "order", '_send(b\'{"t":"start","cell":2}\')', what="starts a cell that is not next"
    ),
    ChannelAttack(
        "nan_and_bad_magic",
        "framing",
        "_send(b'{\"t\":\"start\",\"cell\":NaN}')\n_send(b'xx', magic=b'NOPE')",
        what="NaN in a record, then bytes that are not a frame",
    ),
    ChannelAttack(
        "cut_frame",
        "framing",
        '_send(b\'{"t":"end"}\', n_head=1 << 20)',
        what="a frame that announces more than it holds",
    ),
    ChannelAttack(
        "at_call_deep",
        "at call time",
        "_send(b'{' * 100000)",
        at_call=True,
        what="deep nesting written while the checker calls the function",
    ),
]
