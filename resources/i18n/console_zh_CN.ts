<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Console</name>
    <message>
        <source>Demo site</source>
        <translation>演示站点</translation>
    </message>
    <message>
        <source>The demo site could not start:</source>
        <translation>演示站点无法启动：</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>指挥台</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>MQTT connecting…</source>
        <translation>MQTT 连接中…</translation>
    </message>
    <message>
        <source>MQTT connected</source>
        <translation>MQTT 已连接</translation>
    </message>
    <message numerus="yes">
        <source>MQTT disconnected, retry in %n s</source>
        <translation>
            <numerusform>MQTT 已断开，%n 秒后重试</numerusform>
        </translation>
    </message>
    <message>
        <source>MQTT disconnected</source>
        <translation>MQTT 已断开</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>原因：%1</translation>
    </message>
    <message>
        <source>MAVLink %1/%2</source>
        <translation>MAVLink 链路 %1/%2</translation>
    </message>
    <message>
        <source>Drones with a live MAVLink link / drones in the site file</source>
        <translation>MAVLink 链路正常的无人机数 / 站点文件中的无人机数</translation>
    </message>
    <message>
        <source>Qingdao Low-Altitude Command Console</source>
        <translation>青岛低空指挥调度台</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>态势地图</translation>
    </message>
    <message>
        <source>Situation map of Qingdao: docks, drones, alerts and cameras.</source>
        <translation>青岛态势地图：机场、无人机、告警与摄像头。</translation>
    </message>
    <message>
        <source>Video wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>City cameras and drone feeds.</source>
        <translation>城市监控与无人机实时画面。</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Incoming alerts from the city&apos;s AI and IoT platforms.</source>
        <translation>来自城市 AI 视频分析与物联感知平台的告警。</translation>
    </message>
    <message>
        <source>Fleet</source>
        <translation>机队</translation>
    </message>
    <message>
        <source>Readiness of every dock and drone.</source>
        <translation>各机场与无人机的就绪状态。</translation>
    </message>
    <message>
        <source>Task / Telemetry</source>
        <translation>任务 / 遥测</translation>
    </message>
    <message>
        <source>The selected flight task and live telemetry.</source>
        <translation>所选飞行任务与实时遥测。</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Reset layout</source>
        <translation>恢复默认布局(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Full screen</source>
        <translation>全屏(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>Site: %1</source>
        <translation>站点：%1</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>Drone docks, alerts and video for the city operations centre.</source>
        <translation>面向城市运行管理中心的无人机机场、告警与视频指挥。</translation>
    </message>
</context>
</TS>
