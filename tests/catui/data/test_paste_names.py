"""PV names found in pasted text (catui.data.paste)."""

from __future__ import annotations

import textwrap

import pytest

from catui.data.paste import PasteError, extract_pv_names, is_pv_name


def _dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


PLAIN_LIST = _dedent("""
    # beamline 2 vacuum
    BL2:VAC:G1:P
    BL2:VAC:G2:P   # gauge 2
    BL2:VAC:G1:P

    BL2:VAC:V1:POS.RBV
    """)

CAGET_PLAIN = _dedent("""
    demo:ao                        3.5
    demo:str                       hello world
    demo:mbbo                      Two
    demo:wf 5 1 2 3 4 5
    """)

# caget -a: name, date, time, value, then status and severity when in alarm.
CAGET_WIDE = _dedent("""
    demo:ao                        2024-01-01 12:00:00.123456 3.5
    demo:hot                       2024-01-01 12:00:01.000000 97.2 HIHI MAJOR
    demo:calc                      2024-01-01 12:00:02.500000 -1e+06 LOW MINOR
    """)

CAGET_TERSE = "3.5\n97.2\n-1e+06\n0x1F\nnan\n"

CAMONITOR = _dedent("""
    SR:C01:BPM1:X                  2024-03-05 08:15:42.918273 0.0213  HIGH MINOR
    SR:C01:BPM1:Y                  2024-03-05 08:15:42.918273 -0.0041
    SR:C01:BPM1:X                  2024-03-05 08:15:43.018273 0.0209  HIGH MINOR
    SR:C01:BPM2:X                  *** Not connected (PV not found)
    SR:C01:BPM1:Y                  2024-03-05 08:15:43.018273 -0.0043
    """)

CAINFO = _dedent("""
    demo:ao
        State:            connected
        Host:             localhost:5064
        Access:           read, write
        Native data type: DBF_DOUBLE
        Request type:     DBR_DOUBLE
        Element count:    1
    demo:wf
        State:            connected
        Host:             10.0.0.5:5064
        Access:           read only
        Native data type: DBF_LONG
        Request type:     DBR_LONG
        Element count:    1024
    """)

# caget -d DBR_CTRL_DOUBLE prints a block like cainfo's.
CAGET_CONTROL = _dedent("""
    demo:ao
        Native data type: DBF_DOUBLE
        Request type:     DBR_CTRL_DOUBLE
        Element count:    1
        Value:            3.5
        Status:           NO_ALARM
        Severity:         NO_ALARM
        Units:            mm
        Precision:        3
        Lo disp limit:    0
        Hi disp limit:    10
    """)

DBL = _dedent("""
    epics> dbl
    IOC1:ai1
    IOC1:ai2
    IOC1:calc_sum
    IOC1:bo_enable
    IOC1:waveform
    epics> dbl "ai"
    IOC1:ai1
    IOC1:ai2
    epics>
    """)

DB_FILE = _dedent("""
    record(ai, "$(P)raw") {
        field(DESC, "not expanded: skipped")
    }
    record(ao, "demo:setpoint") {
        field(DESC, "Setpoint")
        field(PREC, "3")
        field(EGU, "mA")
    }
    grecord(calc, "demo:sum") {
        field(INPA, "demo:setpoint")
    }
    """)

AUTOSAVE = _dedent("""
    # save/restore V5.11\tAutomatically generated - DO NOT MODIFY - 240105-101512
    ! 1 channel(s) not connected - or not all gets were successful
    xxx:m1.DIR 0
    xxx:m1.VELO 1.5
    xxx:m1.DESC Sample X
    #xxx:m2.VELO (not connected)
    xxx:userCalc1.CALC A+B
    xxx:userArrayCalc1.AA @array@ { "0" "1.5" "2" "3" }
    xxx:scan1.P1PA @array@ { "-1" "0" "1" }
    <END>
    """)

PV_TABLE = _dedent("""
    <?xml version="1.0" encoding="UTF-8" standalone="no"?>
    <pvtable version="3.0">
      <timeout>60.0</timeout>
      <pvlist>
        <pv>
          <selected>true</selected>
          <name>BL7:Temp1</name>
          <tolerance>0.1</tolerance>
          <saved_value_time>2024-01-01 12:00:00.000000000</saved_value_time>
          <saved_value>21.5</saved_value>
        </pv>
        <pv>
          <selected>false</selected>
          <name>BL7:Temp2.HIGH</name>
          <tolerance>0.1</tolerance>
        </pv>
        <pv>
          <selected>true</selected>
          <name>#### a comment row ####</name>
        </pv>
      </pvlist>
    </pvtable>
    """)

# Data browser (.plt), archive engine configuration, alarm configuration, display.
XML_OTHERS = _dedent("""
    <?xml version="1.0" encoding="UTF-8"?>
    <databrowser>
      <pvlist>
        <pv><display_name>Beam current</display_name><name>SR:Current</name></pv>
      </pvlist>
      <group><name>Vacuum</name>
        <channel><name>SR:VAC:P1</name><period>1.0</period><monitor/></channel>
      </group>
      <component name="Area"><pv name="SR:RF:Fault"><enabled>true</enabled></pv></component>
      <widget type="textupdate"><name>Text Update</name><pv_name>SR:Lifetime</pv_name></widget>
      <widget type="textupdate"><name>Macro</name><pv_name>$(P)Lifetime</pv_name></widget>
    </databrowser>
    """)

XML_FRAGMENT = _dedent("""
    <pv>
      <selected>true</selected>
      <name>frag:one</name>
    </pv>
    <pv>
      <name>frag:two</name>
    </pv>
    """)

SNAPSHOT_CSV = _dedent("""
    name,value,units,severity,timestamp,number
    demo:ao,3.5,mm,,2024-01-01 12:00:00.000000,3.5
    demo:str,"hello, world",,MINOR,2024-01-01 12:00:00.000000,
    """)

# Phoebus save-and-restore snapshot.
PHOEBUS_SNP = _dedent("""
    # Date: 2024-01-01 12:00:00
    # Description: before shutdown
    PV,SELECTED,TIMESTAMP,STATUS,SEVERITY,VALUE_TYPE,VALUE,READBACK,READBACK_VALUE,DELTA
    SR:RF:Amp,1,1704110400.000000000,NO_ALARM,NONE,double,"1.5",SR:RF:Amp:RB,"1.49",0.01
    SR:RF:Phase,1,1704110400.000000000,NO_ALARM,NONE,double,"-12",,,
    """)

MARKDOWN = _dedent("""
    | name | value | units | severity | timestamp |
    |---|---|---|---|---|
    | demo:ao | 3.5 | mm |  | 2024-01-01 12:00:00.000000 |
    | demo:str | a \\| b |  | MINOR | 2024-01-01 12:00:00.000000 |
    """)

JSON_LINES = _dedent("""
    {"name": "demo:ao", "value": 3.5, "type": "DOUBLE", "count": 1}
    {"name": "demo:str", "value": "demo:fake", "type": "STRING", "count": 1}
    """)

COMMANDS = _dedent("""
    $ caget -w 5 demo:a demo:b
    user@ctl01:~$ caput -c demo:c 42
    % camonitor -m va -# 10 demo:d
    > cainfo demo:e
    catui get -a -d DBR_TIME_DOUBLE demo:f
    catui put demo:g -- -3.5
    catui put -a demo:h 3 1 2 3
    python -m catui monitor --duration 5 demo:i
    caget demo:j | grep 1
    pvget 'demo:k{"dbnd":{"abs":1}}'
    """)

ERRORS = _dedent("""
    Channel connect timed out: 'demo:gone' not found.
    catui get: demo:lost: not found (no reply within 1 s)
    """)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            PLAIN_LIST, ["BL2:VAC:G1:P", "BL2:VAC:G2:P", "BL2:VAC:V1:POS.RBV"], id="plain-list"
        ),
        pytest.param("a:b, c:d,e:f", ["a:b", "c:d", "e:f"], id="commas"),
        pytest.param("a:b c:d\te:f", ["a:b", "c:d", "e:f"], id="spaces"),
        pytest.param(
            CAGET_PLAIN, ["demo:ao", "demo:str", "demo:mbbo", "demo:wf"], id="caget-plain"
        ),
        pytest.param(CAGET_WIDE, ["demo:ao", "demo:hot", "demo:calc"], id="caget-a"),
        pytest.param(CAGET_TERSE, [], id="caget-t"),
        pytest.param(
            CAMONITOR,
            ["SR:C01:BPM1:X", "SR:C01:BPM1:Y", "SR:C01:BPM2:X"],
            id="camonitor",
        ),
        pytest.param(CAINFO, ["demo:ao", "demo:wf"], id="cainfo"),
        pytest.param(CAGET_CONTROL, ["demo:ao"], id="caget-d-ctrl"),
        pytest.param(
            DBL,
            ["IOC1:ai1", "IOC1:ai2", "IOC1:calc_sum", "IOC1:bo_enable", "IOC1:waveform"],
            id="dbl",
        ),
        pytest.param(DB_FILE, ["demo:setpoint", "demo:sum"], id="db-file"),
        pytest.param(
            AUTOSAVE,
            [
                "xxx:m1.DIR",
                "xxx:m1.VELO",
                "xxx:m1.DESC",
                "xxx:userCalc1.CALC",
                "xxx:userArrayCalc1.AA",
                "xxx:scan1.P1PA",
            ],
            id="autosave",
        ),
        pytest.param(PV_TABLE, ["BL7:Temp1", "BL7:Temp2.HIGH"], id="phoebus-pvs"),
        pytest.param(
            XML_OTHERS,
            ["SR:Current", "SR:VAC:P1", "SR:RF:Fault", "SR:Lifetime"],
            id="xml-plt-archive-alarm-bob",
        ),
        pytest.param(XML_FRAGMENT, ["frag:one", "frag:two"], id="xml-fragment"),
        pytest.param(SNAPSHOT_CSV, ["demo:ao", "demo:str"], id="catui-csv"),
        pytest.param(PHOEBUS_SNP, ["SR:RF:Amp", "SR:RF:Phase"], id="phoebus-snp"),
        pytest.param(MARKDOWN, ["demo:ao", "demo:str"], id="markdown"),
        pytest.param(JSON_LINES, ["demo:ao", "demo:str"], id="catui-get-json"),
        pytest.param(
            COMMANDS,
            [
                "demo:a",
                "demo:b",
                "demo:c",
                "demo:d",
                "demo:e",
                "demo:f",
                "demo:g",
                "demo:h",
                "demo:i",
                "demo:j",
                'demo:k{"dbnd":{"abs":1}}',
            ],
            id="command-lines",
        ),
        pytest.param(ERRORS, ["demo:gone", "demo:lost"], id="error-lines"),
        pytest.param("", [], id="empty"),
        pytest.param("# only a comment\n\n   \n", [], id="comments-only"),
    ],
)
def test_extract(text, expected):
    assert extract_pv_names(text) == expected


def test_windows_line_endings_and_bom():
    # Notepad saves a byte-order mark; it is not part of the first name.
    assert extract_pv_names("\ufeffa:b\r\nc:d\r\n") == ["a:b", "c:d"]


def test_padded_name_column_is_a_reading_not_two_names():
    # caget pads the name to 30 columns: the second word is the string value.
    assert extract_pv_names("demo:str                       hello\n") == ["demo:str"]
    # One space apart, both are names of a list.
    assert extract_pv_names("demo:str hello\n") == ["demo:str", "hello"]


def test_alarm_words_are_values_in_a_later_column():
    assert extract_pv_names("demo:x HIHI MAJOR\n") == ["demo:x"]
    # As the only word of a line, a name that reads like an alarm word is still a name.
    assert extract_pv_names("HIGH\n") == ["HIGH"]


@pytest.mark.parametrize("mark", ["# save/restore V5.11\n", "<END>\n"])
def test_autosave_file_of_words_is_name_value_lines(mark):
    text = f"{mark}xxx:m1.DESC Sample\nxxx:m2.DESC Holder\n"
    assert extract_pv_names(text) == ["xxx:m1.DESC", "xxx:m2.DESC"]


def test_markdown_row_with_an_empty_name_cell_gives_nothing():
    assert extract_pv_names("| name | value |\n|---|---|\n|  | demo:not |\n| a:b | 1 |\n") == [
        "a:b"
    ]


def test_one_table_line_makes_every_line_a_reading():
    text = "demo:ao 3.5\ndemo:str hello\n"
    assert extract_pv_names(text) == ["demo:ao", "demo:str"]


def test_caput_values_are_not_names():
    assert extract_pv_names("caput demo:str another:name\n") == ["demo:str"]
    assert extract_pv_names("catui put -s demo:str -- -a\n") == ["demo:str"]


def test_command_option_arguments_are_skipped():
    assert extract_pv_names("camonitor -t s demo:x\n") == ["demo:x"]
    assert extract_pv_names("caget -d DBR_CTRL_DOUBLE demo:y\n") == ["demo:y"]
    assert extract_pv_names("caget -w5 demo:z\n") == ["demo:z"]


def test_command_with_unclosed_quote_keeps_the_names_before_it():
    assert extract_pv_names("caget demo:a 'demo:b\n") == ["demo:a"]


@pytest.mark.parametrize(
    "text",
    [
        '<?xml version="1.0"?>\n<!DOCTYPE lol [<!ENTITY a "aaaa">]>\n<pv><name>&a;</name></pv>',
        '<!ENTITY x SYSTEM "file:///etc/passwd"><pv><name>&x;</name></pv>',
        '<?xml version="1.0"?><!doctype pvtable><pvtable/>',
    ],
)
def test_xml_declaring_entities_is_refused(text):
    with pytest.raises(PasteError, match="DOCTYPE or entities"):
        extract_pv_names(text)


def test_xml_with_namespace():
    text = '<pvtable xmlns="urn:x"><pvlist><pv><name>ns:pv</name></pv></pvlist></pvtable>'
    assert extract_pv_names(text) == ["ns:pv"]


@pytest.mark.parametrize(
    "word",
    [
        "demo:ao",
        "demo:ao.VAL",
        "x.VAL$",
        "IOC:wf[3]",
        "a-b+c;d<e>",
        "_private",
        "temperature",
        'demo:ao.{"dbnd":{"d":0.5}}',
        'demo:ao{"ts":{}}',
        "1st:stage",
    ],
)
def test_names(word):
    assert is_pv_name(word)


@pytest.mark.parametrize(
    "word",
    [
        "",
        "3.5",
        "-1e+06",
        "1e5",
        "0x1F",
        "inf",
        "-nan",
        "2024-01-01",
        "2024-01-01T12:00:00Z",
        "12:00:00.123456",
        "-a",
        "--json",
        "café",
        "a b",
        "tab\there",
        "bell\x07",
        "@array@",
        '"quoted"',
        "$(P)name",
        "x" * 2000,
        "...",
        "<END>"[1:-1] + "(",
    ],
)
def test_not_names(word):
    assert not is_pv_name(word)


def test_order_is_kept_and_duplicates_dropped_across_formats():
    text = "b:2\na:1\nb:2 a:1 c:3\n"
    assert extract_pv_names(text) == ["b:2", "a:1", "c:3"]


def test_a_cell_over_the_csv_field_limit_is_not_an_error():
    # csv.Error escaped into the add dialog's change handler: a traceback, the end of
    # the console.
    text = "name,value\ndemo:ao," + "x" * 200_000 + "\n"
    assert extract_pv_names(text) == ["demo:ao"]
    assert extract_pv_names('pv,value\ndemo:a,"' + "x" * 200_000 + '"\ndemo:b,1\n') == [
        "demo:a",
        "demo:b",
    ]


def test_a_long_paste_is_found_in_linear_time():
    # Scanned in the UI thread at each change: 30,000 names took ~3 s (a list's "in").
    import time

    # A safety net, not a figure: quadratic took ~3 s for 30,000 names on a quiet
    # machine, so 160,000 would take over a minute; linear takes about a second
    # quiet, and a loaded 2-core machine may slow it several times over.
    names = [f"demo:pv{i}" for i in range(160_000)]
    start = time.perf_counter()
    assert extract_pv_names("\n".join(names)) == names
    assert time.perf_counter() - start < 20.0
