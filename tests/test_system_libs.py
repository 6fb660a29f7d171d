"""Before the first window on Linux: missing X11 libraries are named, with the apt command."""

from __future__ import annotations

from latentlab.qt import system_libs
from latentlab.qt.system_libs import XCB_LIBRARIES, missing_libraries_line, uses_xcb

X11 = {"DISPLAY": ":0"}


def without(*sonames: str):
    return lambda soname: soname not in sonames


def test_a_missing_library_is_named_by_its_package_with_the_apt_command() -> None:
    line = missing_libraries_line("linux", X11, without("libxcb-cursor.so.0"))
    assert line is not None and "\n" not in line
    assert "package libxcb-cursor0;" in line and "sudo apt install libxcb-cursor0 " in line
    line = missing_libraries_line("linux", X11, without("libxcb-icccm.so.4",
                                                        "libxcb-keysyms.so.1"))
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 " in line
    assert missing_libraries_line("linux", X11, lambda _soname: True) is None


def test_only_linux_with_x11_is_checked() -> None:
    nothing = without(*XCB_LIBRARIES)
    assert missing_libraries_line("darwin", X11, nothing) is None
    assert missing_libraries_line("win32", X11, nothing) is None
    assert uses_xcb("linux", {"QT_QPA_PLATFORM": "xcb"})
    assert uses_xcb("linux", {})
    assert not uses_xcb("linux", {"QT_QPA_PLATFORM": "offscreen"})
    assert not uses_xcb("linux", {"QT_QPA_PLATFORM": "wayland;xcb"})
    assert not uses_xcb("linux", {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "w-0"})
    assert not uses_xcb("linux", {system_libs.SKIP_ENV: "1"})


def test_the_app_stops_before_qt_with_that_line(monkeypatch, capsys) -> None:
    from latentlab.qt import app

    monkeypatch.setattr(system_libs.sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(system_libs, "loadable", without("libxcb-cursor.so.0"))
    monkeypatch.setattr(app, "create_application", lambda: 1 / 0)  # never reached
    assert app.run_gui(exit_after_show=True) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sudo apt install libxcb-cursor0" in err
