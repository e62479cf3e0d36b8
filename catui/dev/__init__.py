"""Development helpers: the snapshot states (tests, screenshots).

The fixed feed they run on is :mod:`catui.feeds.fake`.
"""
