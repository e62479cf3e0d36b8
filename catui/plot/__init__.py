"""Plots in the terminal: bounded PV histories, min/max decimation, a braille chart renderer.

Pure numpy and Python: no Textual here (the widget is :mod:`catui.widgets.plot_canvas`).
"""
