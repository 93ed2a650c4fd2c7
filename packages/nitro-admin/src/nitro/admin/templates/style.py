"""The admin's stylesheet, inlined in every page: no build step, no static files."""

CSS = """
:root{--bg:#f6f7f9;--panel:#fff;--text:#1f2430;--muted:#667085;--line:#e4e7ec;
--accent:#4f46e5;--accent-dark:#4338ca;--danger:#d92d20;--danger-bg:#fef3f2;
--ok:#067647;--ok-bg:#ecfdf3;--radius:10px;--shadow:0 1px 2px rgba(16,24,40,.06)}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--text);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.topbar{display:flex;align-items:center;gap:16px;padding:0 24px;height:56px;
background:#111827;color:#fff}
.topbar .brand{font-weight:700;font-size:16px;color:#fff;letter-spacing:.2px}
.topbar .spacer{flex:1}.topbar .user{color:#cbd5e1}
.topbar form{margin:0}.topbar button{background:transparent;border:1px solid #374151;
color:#e5e7eb;border-radius:8px;padding:4px 10px;cursor:pointer}
.shell{display:flex;min-height:calc(100vh - 56px)}
.sidebar{width:220px;flex:none;padding:20px 12px;border-right:1px solid var(--line);
background:var(--panel)}
.sidebar h2{font-size:11px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);
margin:0 12px 8px}
.sidebar a{display:block;padding:7px 12px;border-radius:8px;color:var(--text)}
.sidebar a.active,.sidebar a:hover{background:#eef2ff;color:var(--accent-dark);
text-decoration:none}
main{flex:1;min-width:0;padding:24px 32px;max-width:1280px}
.page-head{display:flex;align-items:center;gap:12px;flex-wrap:wrap;margin-bottom:16px}
.page-head h1{font-size:22px;margin:0;flex:1}
.crumbs{color:var(--muted);font-size:13px;margin-bottom:4px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:var(--radius);
box-shadow:var(--shadow)}
.btn{display:inline-flex;align-items:center;gap:6px;padding:7px 14px;border-radius:8px;
border:1px solid var(--line);background:var(--panel);color:var(--text);font:inherit;
cursor:pointer;text-decoration:none}
.btn:hover{background:#f2f4f7;text-decoration:none}
.btn-primary{background:var(--accent);border-color:var(--accent);color:#fff}
.btn-primary:hover{background:var(--accent-dark)}
.btn-danger{background:var(--danger);border-color:var(--danger);color:#fff}
.btn-danger:hover{background:#b42318}
.toolbar{display:flex;gap:12px;flex-wrap:wrap;align-items:center;padding:12px 16px;
border-bottom:1px solid var(--line)}
.search{flex:1;min-width:200px;max-width:420px}
input,select,textarea{font:inherit;color:inherit;padding:7px 10px;border:1px solid #d0d5dd;
border-radius:8px;background:#fff;width:100%}
input[type=checkbox]{width:auto}
input:focus,select:focus,textarea:focus{outline:2px solid #c7d2fe;border-color:var(--accent)}
textarea{min-height:120px;resize:vertical}
.filters{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-end;padding:12px 16px;
border-bottom:1px solid var(--line);background:#fcfcfd}
.filters label{display:block;font-size:12px;color:var(--muted);margin-bottom:2px}
.filters .range{display:flex;gap:4px}.filters .range input{width:100px}
.filters .range input[type=date],.filters .range input[type=time]{width:150px}
.filters .range input[type=datetime-local]{width:200px}
.filters select{width:auto;min-width:110px}
.table-wrap{overflow-x:auto}
table{width:100%;border-collapse:collapse}
th,td{padding:10px 16px;text-align:left;border-bottom:1px solid var(--line);white-space:nowrap}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
background:#fcfcfd;position:sticky;top:0}
th a{color:inherit}th.sorted a{color:var(--accent-dark)}
tbody tr:hover{background:#f9fafb}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.check{width:36px}
.empty{padding:40px;text-align:center;color:var(--muted)}
.pager{display:flex;align-items:center;gap:12px;padding:12px 16px;color:var(--muted)}
.pager .spacer{flex:1}
.actions-bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap}
.actions-bar select{width:auto}
.flash{padding:10px 14px;border-radius:8px;margin-bottom:16px;border:1px solid}
.flash.success{background:var(--ok-bg);color:var(--ok);border-color:#abefc6}
.flash.error{background:var(--danger-bg);color:var(--danger);border-color:#fecdca}
form.entity{padding:20px 24px;display:grid;gap:18px;max-width:720px}
.field label{display:block;font-weight:600;margin-bottom:4px}
.field .help{color:var(--muted);font-size:12px;margin-top:2px}
.field .errors{color:var(--danger);font-size:13px;margin:4px 0 0;padding:0;list-style:none}
.field.invalid input,.field.invalid select,.field.invalid textarea{border-color:var(--danger);
background:var(--danger-bg)}
.field .readonly{padding:7px 0;color:var(--muted)}
.form-actions{display:flex;gap:8px;flex-wrap:wrap;padding-top:8px}
.form-actions .spacer{flex:1}
.inline{border-top:1px solid var(--line);padding-top:12px}
.inline-title{font-size:15px;margin:0 0 8px}.inline td{vertical-align:top}
.inline td.invalid input,.inline td.invalid select{border-color:var(--danger);
background:var(--danger-bg)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:16px}
.tile{padding:18px}.tile h3{margin:0 0 6px;font-size:16px}
.tile p{margin:0;display:flex;gap:12px}
.login{max-width:380px;margin:10vh auto;padding:28px}
.login h1{margin:0 0 16px;font-size:20px}
.login form{display:grid;gap:14px}
.confirm{padding:20px 24px}.confirm ul{max-height:240px;overflow:auto}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;background:#f2f4f7;
font-size:12px}
.badge.yes{background:var(--ok-bg);color:var(--ok)}
.indicator{color:var(--muted);font-size:12px}
.picker-row{display:flex;gap:8px;align-items:center}.picker-row input{max-width:320px}
.picker-results{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.picker-option{border:1px solid var(--line);background:#fff;border-radius:999px;
padding:3px 10px;cursor:pointer;font:inherit}.picker-option:hover{background:#eef2ff}
.job-counts{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:12px;
margin-bottom:16px}
.job-count{padding:14px 16px;color:var(--text);display:flex;flex-direction:column}
.job-count strong{font-size:24px;font-variant-numeric:tabular-nums}
.job-count span{color:var(--muted);text-transform:capitalize}
.job-count:hover,.job-count.active{border-color:var(--accent);text-decoration:none}
.jobs-section{margin-bottom:16px}.jobs-section h2{font-size:16px;margin:0;padding:14px 16px}
.jobs-section .hint{padding:0 16px}
.hint{color:var(--muted);font-size:13px;margin:4px 0}
.state-filter{display:flex;gap:6px;flex-wrap:wrap;padding:0 16px 12px}
.state-filter .badge.active{background:var(--accent);color:#fff}
.badge.state-done{background:var(--ok-bg);color:var(--ok)}
.badge.state-failed,.badge.state-dead{background:var(--danger-bg);color:var(--danger)}
.badge.state-running{background:#eef2ff;color:var(--accent-dark)}
td.error-cell{white-space:normal;max-width:420px;color:var(--danger)}
.dead-job{padding:16px 20px;margin:0 0 12px}.jobs-section .dead-job .hint{padding:0}
.dead-job h3{margin:0;font-size:15px}
.job-facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:8px 0}
.job-facts dt{color:var(--muted)}.job-facts dd{margin:0;white-space:pre-wrap;
overflow-wrap:anywhere}
details{margin:6px 0}summary{cursor:pointer;color:var(--accent-dark)}
pre{background:#f9fafb;border:1px solid var(--line);border-radius:8px;padding:10px 12px;
overflow:auto;max-height:360px;font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere}
.form-actions form{margin:0}
@media (max-width:800px){.shell{flex-direction:column}
.sidebar{width:auto;border-right:0;border-bottom:1px solid var(--line);display:flex;
flex-wrap:wrap;gap:4px;padding:8px}.sidebar h2{display:none}main{padding:16px}
th,td{padding:8px 10px}}
"""
